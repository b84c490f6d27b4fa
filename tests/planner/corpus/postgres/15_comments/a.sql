CREATE SCHEMA app;
CREATE TABLE app.t (id integer PRIMARY KEY, a text);
COMMENT ON TABLE app.t IS 'old';
CREATE VIEW app.v AS SELECT id FROM app.t;
CREATE SEQUENCE app.s;

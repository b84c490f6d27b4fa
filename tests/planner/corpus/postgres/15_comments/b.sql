CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application';
CREATE TABLE app.t (id integer PRIMARY KEY, a text);
COMMENT ON TABLE app.t IS 'new';
COMMENT ON COLUMN app.t.a IS 'the a';
CREATE VIEW app.v AS SELECT id FROM app.t;
COMMENT ON VIEW app.v IS 'ids';
CREATE SEQUENCE app.s;
COMMENT ON SEQUENCE app.s IS 'numbers';

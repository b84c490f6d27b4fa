CREATE SCHEMA old_ns;
CREATE TABLE old_ns.x (id integer);

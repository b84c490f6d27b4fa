-- views, routines, triggers and a table go; order: trigger, view, then table
CREATE TABLE t (id int PRIMARY KEY, a int);
CREATE TABLE keep (id int PRIMARY KEY);
CREATE VIEW v AS SELECT a FROM t;
CREATE FUNCTION f(x int) RETURNS int DETERMINISTIC RETURN x;
CREATE TRIGGER t_ins BEFORE INSERT ON t FOR EACH ROW SET NEW.a = f(NEW.a);

CREATE TABLE t (id int PRIMARY KEY, status varchar(10));
CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW SET NEW.status = upper(NEW.status);
CREATE TRIGGER t_new BEFORE UPDATE ON t FOR EACH ROW SET NEW.status = trim(NEW.status);

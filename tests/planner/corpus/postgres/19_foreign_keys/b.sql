CREATE TABLE p (id integer PRIMARY KEY, code text UNIQUE);
CREATE TABLE c (id integer PRIMARY KEY, p_id integer, p_code text,
  CONSTRAINT c_code_fk FOREIGN KEY (p_code) REFERENCES p (code) ON UPDATE CASCADE DEFERRABLE);

CREATE TABLE p (id int PRIMARY KEY, code varchar(10), UNIQUE KEY code_uq (code));
CREATE TABLE c (id int PRIMARY KEY, p_id int, p_code varchar(10),
  CONSTRAINT c_code FOREIGN KEY (p_code) REFERENCES p (code) ON UPDATE CASCADE);

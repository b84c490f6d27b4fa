CREATE TABLE p (id integer PRIMARY KEY, code text NOT NULL DEFAULT '');
CREATE TABLE c (id integer PRIMARY KEY, p_id integer REFERENCES p (id));

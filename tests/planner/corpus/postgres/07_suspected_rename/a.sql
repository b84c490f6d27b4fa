-- not declared: the plan drops and adds (and says it looks like a rename)
CREATE TABLE orders (id integer PRIMARY KEY, remark text);

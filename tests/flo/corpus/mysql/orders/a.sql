-- The same schema as b.sql, objects created in another order and spelled another way.
CREATE TABLE author (id int PRIMARY KEY, name varchar(100) NOT NULL);
CREATE TABLE book (
  id int PRIMARY KEY,
  author_id int NOT NULL,
  title varchar(200) NOT NULL,
  price decimal(8,2) DEFAULT 0 CHECK (price >= 0),
  KEY book_title_idx (title),
  CONSTRAINT book_author_fk FOREIGN KEY (author_id) REFERENCES author (id)
);
CREATE VIEW cheap AS SELECT id, title FROM book WHERE price < 10;

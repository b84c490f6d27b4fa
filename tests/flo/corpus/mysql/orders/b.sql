-- The same schema as a.sql, objects created in another order and spelled another way.
CREATE TABLE book (
  id INT NOT NULL,
  author_id INTEGER NOT NULL,
  title VARCHAR(200) NOT NULL,
  price DECIMAL(8,2) DEFAULT 0.00,
  CONSTRAINT price CHECK (price >= 0),
  PRIMARY KEY (id)
) ENGINE=InnoDB;
CREATE TABLE author (id INT(11) NOT NULL, name VARCHAR(100) NOT NULL, PRIMARY KEY (id));
CREATE INDEX book_title_idx ON book (title);
CREATE INDEX book_author_fk ON book (author_id);
ALTER TABLE book ADD CONSTRAINT book_author_fk FOREIGN KEY (author_id) REFERENCES author (id);
CREATE VIEW cheap AS SELECT book.id AS id, book.title AS title FROM book WHERE (book.price < 10);

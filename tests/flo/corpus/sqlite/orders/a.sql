-- The same schema as b.sql, objects created in another order and spelled another way.
CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE book (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES author (id),
  title TEXT NOT NULL,
  price NUMERIC DEFAULT 0 CHECK (price >= 0)
);
CREATE INDEX book_title_idx ON book (title);
CREATE INDEX book_author_idx ON book (author_id);
CREATE VIEW cheap AS SELECT id, title FROM book WHERE price < 10;

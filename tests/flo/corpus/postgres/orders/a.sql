-- The same schema as b.sql, objects created in another order and spelled another way.
CREATE SCHEMA shop;
CREATE TABLE shop.author (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE shop.book (
  id integer PRIMARY KEY,
  author_id integer NOT NULL REFERENCES shop.author (id),
  title text NOT NULL,
  price numeric(8,2) DEFAULT 0 CHECK (price >= 0)
);
CREATE INDEX book_title_idx ON shop.book (title);
CREATE INDEX book_author_idx ON shop.book (author_id);
CREATE VIEW shop.cheap AS SELECT id, title FROM shop.book WHERE price < 10;

-- The same schema as a.sql, objects created in another order and spelled another way.
CREATE SCHEMA shop;
CREATE TABLE shop.book (
  id integer NOT NULL,
  author_id integer NOT NULL,
  title text NOT NULL,
  price numeric(8,2) DEFAULT 0,
  CONSTRAINT book_price_check CHECK (price >= 0)
);
CREATE INDEX book_author_idx ON shop.book USING btree (author_id);
CREATE TABLE shop.author (id integer NOT NULL, name text NOT NULL);
ALTER TABLE shop.author ADD CONSTRAINT author_pkey PRIMARY KEY (id);
ALTER TABLE shop.book ADD CONSTRAINT book_pkey PRIMARY KEY (id);
ALTER TABLE shop.book ADD CONSTRAINT book_author_id_fkey FOREIGN KEY (author_id)
  REFERENCES shop.author (id);
CREATE VIEW shop.cheap AS SELECT book.id, book.title FROM shop.book WHERE (book.price < 10);
CREATE INDEX book_title_idx ON shop.book (title);

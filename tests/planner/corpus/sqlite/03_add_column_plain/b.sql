CREATE TABLE orders (id integer PRIMARY KEY, note text, status text NOT NULL DEFAULT 'new', qty integer DEFAULT 1);

CREATE TABLE orders (
  id integer PRIMARY KEY,
  note text,
  status text NOT NULL DEFAULT 'new',
  created_at timestamptz NOT NULL DEFAULT now(),
  qty integer DEFAULT 1
);

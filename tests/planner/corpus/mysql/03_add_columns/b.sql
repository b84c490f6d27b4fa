CREATE TABLE orders (
  id int PRIMARY KEY,
  status varchar(20) NOT NULL DEFAULT 'new',
  total int,
  note text,
  created_at timestamp NOT NULL DEFAULT current_timestamp()
);

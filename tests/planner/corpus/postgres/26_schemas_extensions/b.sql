CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA app;
CREATE TABLE app.users (id integer PRIMARY KEY, email citext);

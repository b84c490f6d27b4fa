-- the partition key changes (range on a date -> list on a region): the table is rebuilt
-- through a staging copy; its serial keeps counting, its index, a view reading it and a foreign key
-- referencing it come back, the rows are kept
CREATE TABLE events (id serial, at date NOT NULL, region text NOT NULL, PRIMARY KEY (id, at, region)) PARTITION BY RANGE (at);
CREATE TABLE events_old PARTITION OF events FOR VALUES FROM ('2000-01-01') TO ('2025-01-01');
CREATE TABLE events_new PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2030-01-01');
CREATE INDEX events_region_idx ON events (region);
CREATE VIEW eu_events AS SELECT id, at FROM events WHERE region = 'eu';
CREATE TABLE notes (id integer PRIMARY KEY, event_id integer, event_at date, event_region text,
  FOREIGN KEY (event_id, event_at, event_region) REFERENCES events (id, at, region));
INSERT INTO events (at, region) VALUES ('2024-05-01', 'eu'), ('2025-03-01', 'us'), ('2026-01-01', 'eu');
INSERT INTO notes VALUES (1, 2, '2025-03-01', 'us');

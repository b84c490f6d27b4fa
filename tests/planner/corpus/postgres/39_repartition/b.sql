CREATE TABLE events (id serial, at date NOT NULL, region text NOT NULL, PRIMARY KEY (id, at, region)) PARTITION BY LIST (region);
CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
CREATE INDEX events_region_idx ON events (region);
CREATE VIEW eu_events AS SELECT id, at FROM events WHERE region = 'eu';
CREATE TABLE notes (id integer PRIMARY KEY, event_id integer, event_at date, event_region text,
  FOREIGN KEY (event_id, event_at, event_region) REFERENCES events (id, at, region));

-- a partition's bound widens: it is detached and attached again, keeping its rows (a drop
-- and re-create would lose them); a new partition is added next to it
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
INSERT INTO events VALUES (1, '2024-05-01'), (2, '2025-03-01');

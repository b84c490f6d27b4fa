SELECT (count(*) = 2)::int FROM eu_events WHERE at IN ('2024-05-01', '2026-01-01')
SELECT count(*) FROM events WHERE id = 2 AND region = 'us'
SELECT count(*) FROM (SELECT nextval('events_id_seq') AS n) s WHERE n = 4
SELECT count(*) FROM notes JOIN events ON events.id = notes.event_id AND events.region = notes.event_region

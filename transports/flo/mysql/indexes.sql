-- Indexes (UNIQUE keys included, the primary key excluded: it is a constraint), one row per
-- key part in order; COLLATION 'D' is a descending part, SUB_PART a prefix length.
SELECT s.TABLE_NAME AS table_name, s.INDEX_NAME AS index_name, s.SEQ_IN_INDEX AS position,
       s.COLUMN_NAME AS column_name, s.COLLATION = 'D' AS descending, s.SUB_PART AS length,
       s.NON_UNIQUE = 0 AS is_unique, LOWER(s.INDEX_TYPE) AS method,
       NULLIF(s.INDEX_COMMENT, '') AS comment
FROM information_schema.STATISTICS s
-- read once into a derived table (LIMIT: not merged back and re-read per row)
JOIN (SELECT TABLE_NAME FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = {{database}} AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
       LIMIT 18446744073709551615) t
  ON t.TABLE_NAME = s.TABLE_NAME
WHERE s.TABLE_SCHEMA = {{database}} AND s.INDEX_NAME <> 'PRIMARY'
ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX

-- Installed extensions (the ones every database has are excluded in catalog.json).
SELECT x.extname AS extension_name, n.nspname AS schema_name, x.extversion AS version
FROM pg_extension x
JOIN pg_namespace n ON n.oid = x.extnamespace
ORDER BY 1

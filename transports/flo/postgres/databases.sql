-- Every database this role can see; templates are the server's own (system).
-- Databases that refuse connections (datallowconn = false) are listed as system too.
SELECT datname AS name, (datistemplate OR NOT datallowconn) AS is_system
FROM pg_database
ORDER BY datname

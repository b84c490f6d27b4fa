-- One sequence's settings, read from the sequence itself (a template: sequence_names.sql
-- fills {{row:...}} / {{ident:...}} once per sequence). MariaDB 10.11 sequences are bigint.
SELECT {{row:sequence_name}} AS sequence_name, start_value AS start, increment,
       minimum_value AS min_value, maximum_value AS max_value,
       cycle_option AS cycle, cache_size AS cache, {{row:comment}} AS comment
FROM {{ident:schema_name}}.{{ident:sequence_name}}

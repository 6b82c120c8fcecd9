-- The export (issue 4) has PostgreSQL write each CSV field: it is done in C, row by row,
-- while the service only passes lines on. Same rules as the service's CSV writer: a value a
-- spreadsheet would run as a formula gets a leading ', and a value with a comma, quote or
-- line break is quoted. A single expression, so the planner inlines it.
CREATE FUNCTION csv_field(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN $1 IS NULL THEN ''
        WHEN $1 ~ '^[=+@\t\r-]' THEN
            CASE WHEN $1 ~ '[,"\r\n]' THEN '"''' || replace($1, '"', '""') || '"' ELSE '''' || $1 END
        WHEN $1 ~ '[,"\r\n]' THEN '"' || replace($1, '"', '""') || '"'
        ELSE $1
    END
$$;

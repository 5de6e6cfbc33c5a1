-- Ranges on date fields stored only in the document (`event.created >=
-- now-1h`): their RFC 3339 text read as a time, or NULL when it is not one
-- (a plain cast would abort the query on the first bad value).
CREATE FUNCTION vigil_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

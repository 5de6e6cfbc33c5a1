-- The query language now reads Lucene's `~` (fuzzy), `^` (boost), `!` and
-- `+` prefixes and `field:/regex/`, which were literal text before. Stored
-- queries keep the meaning they were saved with: those characters are
-- escaped where they stand outside quotes (an escape was always read as the
-- character itself, so the new text means what the old text meant).
CREATE FUNCTION vigil_escape_query_text(query text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    out text := '';
    c text;
    previous text := ' ';
    quoted boolean := false;
    escaped boolean := false;
    i integer;
BEGIN
    FOR i IN 1 .. length(query) LOOP
        c := substr(query, i, 1);
        IF escaped THEN
            escaped := false;
        ELSIF c = '\' THEN
            escaped := true;
        ELSIF c = '"' THEN
            quoted := NOT quoted;
        ELSIF NOT quoted AND (
            c IN ('~', '^')
            OR (c IN ('!', '+') AND (previous ~ '\s' OR previous = '('))
            OR (c = '/' AND previous = ':')
        ) THEN
            out := out || '\';
        END IF;
        out := out || c;
        previous := c;
    END LOOP;
    RETURN out;
END
$$;

-- Every query text of a rule definition: `query`, its `exceptions`, and
-- the steps' `query` of a sequence, wherever they nest.
CREATE FUNCTION vigil_escape_definition(value jsonb, key text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    result jsonb;
    k text;
    v jsonb;
BEGIN
    CASE jsonb_typeof(value)
    WHEN 'object' THEN
        result := '{}'::jsonb;
        FOR k, v IN SELECT * FROM jsonb_each(value) LOOP
            result := result || jsonb_build_object(k, vigil_escape_definition(v, k));
        END LOOP;
        RETURN result;
    WHEN 'array' THEN
        SELECT coalesce(jsonb_agg(vigil_escape_definition(item, CASE WHEN key = 'exceptions' THEN 'query' END) ORDER BY n), '[]'::jsonb)
          INTO result FROM jsonb_array_elements(value) WITH ORDINALITY AS e(item, n);
        RETURN result;
    WHEN 'string' THEN
        IF key = 'query' THEN
            RETURN to_jsonb(vigil_escape_query_text(value #>> '{}'));
        END IF;
        RETURN value;
    ELSE
        RETURN value;
    END CASE;
END
$$;

UPDATE rules SET definition = vigil_escape_definition(definition)
 WHERE definition::text ~ '[~^!+/]';
UPDATE rule_versions SET definition = vigil_escape_definition(definition)
 WHERE definition::text ~ '[~^!+/]';
UPDATE saved_searches SET query = vigil_escape_query_text(query)
 WHERE query ~ '[~^!+/]' AND length(vigil_escape_query_text(query)) <= 10000;

DROP FUNCTION vigil_escape_definition(jsonb, text);
DROP FUNCTION vigil_escape_query_text(text);

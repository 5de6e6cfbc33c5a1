-- `field|cidr:` on fields stored only in the document: their text read as an
-- address, or NULL when it is not one (a plain cast would abort the query).
CREATE FUNCTION vigil_inet(value text) RETURNS inet
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
BEGIN
    RETURN value::inet;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

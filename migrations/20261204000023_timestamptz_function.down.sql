DROP FUNCTION IF EXISTS vigil_timestamptz(text);

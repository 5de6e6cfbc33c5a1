DROP FUNCTION IF EXISTS vigil_inet(text);

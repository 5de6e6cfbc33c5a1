-- The escapes added mean the same to the earlier query language: nothing to undo.
SELECT 1;

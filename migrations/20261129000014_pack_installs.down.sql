DROP TABLE IF EXISTS pack_installs;

DROP TABLE server_secrets;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE roles;

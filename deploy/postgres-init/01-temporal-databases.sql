-- Runs once, on an empty data directory. The app database (kassa) comes from POSTGRES_DB;
-- the Temporal server runs with SKIP_DB_CREATE=true and expects these two to exist.
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;

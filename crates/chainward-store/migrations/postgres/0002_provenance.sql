-- History, schema version 2 (PostgreSQL); the same tables as migrations/sqlite/0002_provenance.sql.
-- Times are microseconds since the Unix epoch, UTC; identities are the JSON text of
-- chainward_types::BuildIdentity, checked by the store when read back.

CREATE TABLE provenance_pin (
    ecosystem TEXT NOT NULL,
    name      TEXT NOT NULL,
    version   TEXT NOT NULL,
    identity  TEXT NOT NULL,
    pinned_at BIGINT NOT NULL,
    how       TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name)
);

CREATE TABLE provenance_observation (
    ecosystem  TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    status     TEXT NOT NULL,
    identity   TEXT,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    PRIMARY KEY (ecosystem, name, version)
);

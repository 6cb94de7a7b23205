-- History, schema version 2 (SQLite): provenance pins and observations. Times are
-- microseconds since the Unix epoch, UTC; names are normalised as their ecosystem compares
-- names; identities are the JSON of chainward_types::BuildIdentity. The store checks the
-- text columns (how, status, identity) when it reads them back.

-- The build identity a package is expected to keep: one per (ecosystem, name). how is
-- 'first-seen' (pinned on the first verified version seen) or 'user' (`provenance pin`);
-- version is the version the identity was taken from.
CREATE TABLE provenance_pin (
    ecosystem TEXT NOT NULL,
    name      TEXT NOT NULL,
    version   TEXT NOT NULL,
    identity  TEXT NOT NULL,
    pinned_at INTEGER NOT NULL,
    how       TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name)
) STRICT;

-- What provenance check of a version last found: status 'verified' (identity set), 'absent'
-- or 'invalid' (identity NULL). first_seen is never changed after the first observation.
CREATE TABLE provenance_observation (
    ecosystem  TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    status     TEXT NOT NULL,
    identity   TEXT,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (ecosystem, name, version)
) STRICT;

-- History, schema version 1 (SQLite). Times are microseconds since the Unix epoch, UTC.
-- A snapshot's place in its stream is the order key (taken_at, id).

CREATE TABLE project (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;

-- One stream per (project, branch); branch '' is "no branch" (not a repository, detached HEAD).
CREATE TABLE stream (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project(id),
    branch     TEXT NOT NULL,
    latest_at  INTEGER,
    latest_id  INTEGER,
    UNIQUE (project_id, branch)
) STRICT;

CREATE TABLE snapshot (
    id            INTEGER PRIMARY KEY,
    stream_id     INTEGER NOT NULL REFERENCES stream(id),
    taken_at      INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    git_commit    TEXT,
    host          TEXT,
    incomplete    INTEGER NOT NULL,
    package_count INTEGER NOT NULL
) STRICT;
CREATE INDEX snapshot_order ON snapshot(stream_id, taken_at, id);

-- A package's identity, hashes included: stored once, shared by every snapshot.
CREATE TABLE package (
    id        INTEGER PRIMARY KEY,
    key       BLOB NOT NULL UNIQUE,
    ecosystem TEXT NOT NULL,
    name      TEXT NOT NULL,
    version   TEXT NOT NULL,
    purl      TEXT NOT NULL,
    detail    TEXT NOT NULL
) STRICT;
CREATE INDEX package_by_name ON package(ecosystem, name, version);

-- A package as one snapshot has it (scopes, direct, paths, verification results).
CREATE TABLE entry (
    id         INTEGER PRIMARY KEY,
    key        BLOB NOT NULL UNIQUE,
    package_id INTEGER NOT NULL REFERENCES package(id),
    detail     TEXT NOT NULL
) STRICT;
CREATE INDEX entry_by_package ON entry(package_id);

-- Entry present in every snapshot of the stream from `first` through `last` (order keys);
-- last NULL: through the stream's latest snapshot. Spans of one entry in one stream never
-- overlap, and a closed span never contains the latest snapshot. entry_key repeats the
-- entry's key, so that recording reads the open spans without a join.
CREATE TABLE span (
    id        INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL REFERENCES stream(id),
    entry_id  INTEGER NOT NULL REFERENCES entry(id),
    entry_key BLOB NOT NULL,
    first_at  INTEGER NOT NULL,
    first_id  INTEGER NOT NULL REFERENCES snapshot(id),
    last_at   INTEGER,
    last_id   INTEGER REFERENCES snapshot(id)
) STRICT;
CREATE INDEX span_open ON span(stream_id) WHERE last_id IS NULL;
-- first_at, first_id: `first <= x` is checked in the index, before the table is read.
CREATE INDEX span_by_last ON span(stream_id, last_at, last_id, first_at, first_id);
CREATE INDEX span_by_first ON span(stream_id, first_at, first_id);
CREATE INDEX span_by_entry ON span(entry_id);

CREATE TABLE state (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

"""DDL of the SQLite backend (applied by ``lrs init``; every statement is IF NOT EXISTS).

Filter keys: ``key_names`` interns each (family, value) once (family 0 agent, 1 verb,
2 activity, 3 registration — :data:`statements.indexing.KIND_BITS`); ``key_rows`` holds one
row per (key, statement) with flag bits (1 the direct kind, 2 the ``related_*`` kind), clustered
on (kid, seq) so a filtered page is one range scan in ``seq`` order.

The newest statements' rows wait in ``key_tail`` instead, clustered on (seq, kid): a batch appends
them to a few pages, where ``key_rows`` would dirty one page per agent and activity of the batch
(a random page each, written to the WAL and checkpointed: most of the write path's system CPU).
Every few thousand statements the writer moves the tail into ``key_rows`` sorted by (kid, seq),
so each key range takes its new rows in one page write
(:func:`statements.store.sqlite.keys.merge_tail`). ``key_split.seq`` is the boundary: the rows
of statements with ``seq`` at or below it are in ``key_rows``, those above it in ``key_tail``;
queries read the two ranges in turn (``key_postings`` is the union, for the rare readers that need
every row of a key). There is no index on
``key_rows.seq``: StatementRef key copies and erasure derive a statement's keys from the stored
bodies of its chain (:func:`statements.store.sqlite.keys.chain_keys`). ``PRAGMA user_version``
is :data:`STORE_VERSION`; version 0 stores (text ``statement_keys``) and version 1 stores (no
``key_tail``: every row in ``key_rows``, so the split is their newest ``seq``) are migrated by
``init``.
Registrations (family 3) are not interned: nearly every one is new (one per attempt), and an
interned value costs a random ``key_names`` index page per statement. Their postings are
``reg_tail (seq, value)`` above the split (appended, like ``key_tail``) and ``reg_rows (bucket,
seq, value)`` at or below it, clustered on one of :data:`statements.store.sqlite.keys.REG_BUCKETS`
buckets of a CRC-32 of the value: a move appends a few rows to the end of each bucket (about
one page each) instead of one random page per registration, and a registration filter scans its
bucket's range (1/1024 of the postings) in ``seq`` order, comparing the value exactly.
``filter_postings`` is every posting as (family, value, seq, flags), for readers and tests that
need all of them.
``key_epoch`` gains a row whenever a ``key_names`` row is deleted (a trigger): the statement
writer's per-process cache of interned ids (:class:`statements.store.sqlite.keys.KidCache`) is
valid while ``MAX(n)`` has not moved.
"""

STORE_VERSION = 3

#: The trigger that bumps ``key_epoch`` (also dropped and recreated around the version-3
#: migration, which deletes every interned registration at once).
KEY_EPOCH_TRIGGER = """CREATE TRIGGER IF NOT EXISTS key_names_forgotten AFTER DELETE ON key_names
BEGIN INSERT INTO key_epoch (n) VALUES (NULL); END"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS statements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    stored_us INTEGER NOT NULL,
    voided INTEGER NOT NULL DEFAULT 0,
    ref_target TEXT,
    voids TEXT,
    authority_key TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS statements_stored ON statements (stored_us, seq);
CREATE INDEX IF NOT EXISTS statements_ref ON statements (ref_target) WHERE ref_target IS NOT NULL;
CREATE INDEX IF NOT EXISTS statements_voids ON statements (voids) WHERE voids IS NOT NULL;
CREATE INDEX IF NOT EXISTS statements_authority ON statements (authority_key, seq);
CREATE TABLE IF NOT EXISTS key_names (
    kid INTEGER PRIMARY KEY,
    family INTEGER NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (family, value)
);
-- One row per key_names deletion (erasure): a writer that caches interned ids drops its cache
-- when MAX(n) moved, so it never writes a key row under a forgotten (or reused) kid.
CREATE TABLE IF NOT EXISTS key_epoch (n INTEGER PRIMARY KEY);
{KEY_EPOCH_TRIGGER};
CREATE TABLE IF NOT EXISTS key_rows (
    kid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    PRIMARY KEY (kid, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_tail (
    seq INTEGER NOT NULL,
    kid INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    PRIMARY KEY (seq, kid)
) WITHOUT ROWID;
-- One row (made by statements.store.sqlite.keys.migrate): key rows of seq <= split are in
-- key_rows, the others in key_tail.
CREATE TABLE IF NOT EXISTS key_split (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL
);
CREATE VIEW IF NOT EXISTS key_postings AS
    SELECT kid, seq, flags FROM key_rows UNION ALL SELECT kid, seq, flags FROM key_tail;
-- Registration postings (not interned): reg_rows at or below key_split.seq, reg_tail above it.
CREATE TABLE IF NOT EXISTS reg_rows (
    bucket INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (bucket, seq, value)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reg_tail (
    seq INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (seq, value)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS filter_postings AS
    SELECT n.family, n.value, k.seq, k.flags FROM key_postings k JOIN key_names n USING (kid)
    UNION ALL SELECT 3, value, seq, 1 FROM reg_rows
    UNION ALL SELECT 3, value, seq, 1 FROM reg_tail;
CREATE TABLE IF NOT EXISTS attachments (
    sha2 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    key TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    authority TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
"""

# Documents (State / Activity Profile / Agent Profile), canonical Activities, seen Agents:
# used by statements.store.sqlite.documents.SQLiteDocuments.
DOCUMENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    agent_key TEXT NOT NULL,
    registration TEXT NOT NULL,
    document_id TEXT NOT NULL,
    content BLOB NOT NULL,
    content_type TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated_us INTEGER NOT NULL,
    PRIMARY KEY (kind, activity_id, agent_key, registration, document_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activities (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
    agent_key TEXT PRIMARY KEY,
    ifi TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_names (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_key TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (agent_key, name)
);
"""

SCHEMA += DOCUMENTS_SCHEMA

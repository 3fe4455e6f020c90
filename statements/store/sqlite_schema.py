"""DDL of the SQLite backend (applied by ``lrs init``; every statement is IF NOT EXISTS)."""

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS statement_keys (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, value, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS statement_keys_seq ON statement_keys (seq);
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
# used by statements.store.sqlite_documents.SQLiteDocuments.
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

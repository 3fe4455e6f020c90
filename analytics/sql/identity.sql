-- Admin-only identity tables, kept in the separate file <warehouse>.identity.duckdb.
CREATE TABLE IF NOT EXISTS identity.identity_map (
    person_key VARCHAR NOT NULL,
    person_id VARCHAR NOT NULL,
    mbox VARCHAR,
    account_homepage VARCHAR,
    account_name VARCHAR,
    actor_key VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS identity.actor_ifi (
    actor_key VARCHAR NOT NULL,
    ifi VARCHAR NOT NULL
);

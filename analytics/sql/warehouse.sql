-- The warehouse's own tables (import tables are created from analytics/imports/spec.py).
CREATE TABLE IF NOT EXISTS statements_all (
    statement_id VARCHAR NOT NULL,
    seq BIGINT NOT NULL,
    actor_key VARCHAR,
    person_key VARCHAR,
    verb_id VARCHAR,
    object_id VARCHAR,
    object_type VARCHAR,
    registration VARCHAR,
    parent_ids VARCHAR[],
    grouping_ids VARCHAR[],
    category_ids VARCHAR[],
    interaction_type VARCHAR,
    response VARCHAR,
    score_scaled DOUBLE,
    score_raw DOUBLE,
    score_min DOUBLE,
    score_max DOUBLE,
    success BOOLEAN,
    completion BOOLEAN,
    duration_s DOUBLE,
    "timestamp" TIMESTAMPTZ,
    stored TIMESTAMPTZ,
    voided BOOLEAN NOT NULL,
    is_voiding BOOLEAN NOT NULL,
    department_id VARCHAR,
    role_code VARCHAR
);

CREATE OR REPLACE VIEW statements AS
SELECT * FROM statements_all WHERE NOT voided AND NOT is_voiding;

CREATE TABLE IF NOT EXISTS etl_state (
    last_seq BIGINT NOT NULL,
    last_stored TIMESTAMPTZ,
    refreshed_at TIMESTAMPTZ NOT NULL,
    as_of DATE
);

CREATE TABLE IF NOT EXISTS staff_history (
    person_key VARCHAR NOT NULL,
    department_id VARCHAR NOT NULL,
    role_code VARCHAR NOT NULL,
    valid_from DATE,
    valid_to DATE
);

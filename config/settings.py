"""Typed, documented settings read from ``LRS_*`` environment variables.

Every setting is a field of :class:`Settings` with a default and a ``doc`` in its metadata;
``tests/test_settings.py`` fails when a field is undocumented here or in the README table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _doc(text: str, **extra: Any) -> Any:
    return {"doc": text, **extra}


@dataclass(frozen=True)
class Settings:
    """The LRS configuration. Build with :meth:`from_env`; never mutate (frozen)."""

    data_dir: Path = field(
        default=Path("var"),
        metadata=_doc("Directory for the embedded store, warehouse and other local data."),
    )
    host: str = field(default="127.0.0.1", metadata=_doc("Address `lrs serve` binds to."))
    port: int = field(default=8000, metadata=_doc("Port `lrs serve` binds to."))
    workers: int = field(default=2, metadata=_doc("Gunicorn worker processes."))
    threads: int = field(default=4, metadata=_doc("Threads per gunicorn worker (gthread)."))
    store_url: str = field(
        default="",
        metadata=_doc(
            "Statement/document store: `sqlite:///path/lrs.db` (default: "
            "`sqlite:///<data_dir>/lrs.db`) or `mongodb://…`."
        ),
    )
    sqlite_synchronous: str = field(
        default="FULL",
        metadata=_doc(
            "SQLite durability: `FULL` (every acknowledged batch survives power loss; default) or "
            "`NORMAL` (faster; survives a crashed process, may lose the last commits on power cut)."
        ),
    )
    sqlite_cache_mb: int = field(
        default=64,
        metadata=_doc(
            "SQLite page cache of the statement-writer connection, in MB (one per worker process; "
            "reader connections keep 8 MB). Bigger keeps more of the id and key indexes in memory "
            "(less CPU per write as the store grows); each worker holds it in RSS once warm."
        ),
    )
    sqlite_checkpoint_s: float = field(
        default=0.5,
        metadata=_doc(
            "SQLite: seconds between background WAL checkpoints (PASSIVE; TRUNCATE when idle). "
            "Writers never checkpoint themselves, so no commit pays for one."
        ),
    )
    sqlite_wal_limit_mb: int = field(
        default=64,
        metadata=_doc(
            "SQLite: WAL size in MB above which the background checkpointer restarts the log "
            "(waiting briefly for readers) and to which the WAL file is truncated afterwards."
        ),
    )
    max_body_bytes: int = field(
        default=20 * 1024 * 1024,
        metadata=_doc("Largest request body accepted, in bytes (413 above it)."),
    )
    cors_origins: tuple[str, ...] = field(
        default=("*",),
        metadata=_doc(
            "Origins allowed to call the xAPI from a browser, comma-separated; `*` for any."
        ),
    )
    statement_page_limit: int = field(
        default=100,
        metadata=_doc("Most statements in one GET page; also the default when `limit=0`."),
    )
    max_batch: int = field(
        default=1000, metadata=_doc("Most statements accepted in one POST batch.")
    )
    max_attachment_bytes: int = field(
        default=10 * 1024 * 1024,
        metadata=_doc("Largest single attachment part accepted, in bytes (413 above it)."),
    )
    max_json_depth: int = field(
        default=64,
        metadata=_doc(
            "Deepest nesting of arrays/objects accepted in any JSON a client sends (bodies and "
            "the `agent` query parameter); checked before parsing, 400 `max_json_depth` above it."
        ),
    )
    max_document_bytes: int = field(
        default=1024 * 1024,
        metadata=_doc(
            "Largest State / Activity Profile / Agent Profile document accepted, in bytes "
            "(413 `max_document_bytes` above it)."
        ),
    )
    max_multipart_parts: int = field(
        default=100,
        metadata=_doc(
            "Most parts in one multipart/mixed statement body (400 `max_multipart_parts`)."
        ),
    )
    max_query_params: int = field(
        default=50,
        metadata=_doc("Most query parameters in one request (400 `max_query_params`)."),
    )
    max_drain_bytes: int = field(
        default=64 * 1024 * 1024,
        metadata=_doc(
            "An oversized body up to this size is read and discarded so that the client, "
            "still sending, can read the 413; above it the 413 is sent and the connection "
            "closed at once. Set the proxy's body limit (nginx `client_max_body_size`) to "
            "`LRS_MAX_BODY_BYTES`."
        ),
    )
    rate_limit_per_minute: int = field(
        default=0,
        metadata=_doc(
            "Requests per minute allowed to one credential (token bucket, bursts up to a "
            "minute's worth; 429 with Retry-After above it); 0 turns the limit off. Counted per "
            "gunicorn worker process."
        ),
    )
    request_timeout_s: int = field(
        default=60,
        metadata=_doc("Gunicorn worker timeout: a request running longer restarts its worker."),
    )
    graceful_timeout_s: int = field(
        default=30,
        metadata=_doc("Seconds gunicorn lets in-flight requests finish after SIGTERM."),
    )
    log_format: str = field(
        default="json",
        metadata=_doc("`json` (one JSON object per line, with the request id) or `text`."),
    )
    metrics_dir: str = field(
        default="",
        metadata=_doc(
            "Directory shared by gunicorn workers for Prometheus metrics (wiped at start; "
            "default: a fresh temporary directory)."
        ),
    )
    secret_key: str = field(
        default="",
        metadata=_doc(
            "Key for signing `more` cursors and sessions; generated and kept in "
            "`<data_dir>/secret.key` when empty."
        ),
    )
    consistent_lag_ms: int = field(
        default=0,
        metadata=_doc("Milliseconds subtracted from now for X-Experience-API-Consistent-Through."),
    )
    mongo_write_concern: str = field(
        default="majority",
        metadata=_doc(
            "MongoDB write concern `w` (`majority`, or a number); a `w=` URI option wins."
        ),
    )
    mongo_read_preference: str = field(
        default="primary",
        metadata=_doc(
            "MongoDB read preference (`primary` keeps read-your-writes); a URI option wins."
        ),
    )
    mongo_timeout_ms: int = field(
        default=10_000,
        metadata=_doc("MongoDB server-selection, connect and socket timeout in milliseconds."),
    )
    mongo_pool_size: int = field(
        default=10,
        metadata=_doc("MongoDB connections per worker process (`maxPoolSize`)."),
    )
    mongo_transactions: str = field(
        default="auto",
        metadata=_doc(
            "Atomic POST batches on MongoDB: `auto` (transactions on replica sets/sharded "
            "clusters, insert-then-compensate on a standalone), `on` or `off`."
        ),
    )
    warehouse_path: str = field(
        default="",
        metadata=_doc(
            "DuckDB analytics warehouse file (default: `<data_dir>/warehouse.duckdb`); the "
            "identity mapping lives next to it in `<name>.identity.duckdb`."
        ),
    )
    pseudonym_key: str = field(
        default="",
        metadata=_doc(
            "Key of the keyed hash (HMAC-SHA256) that pseudonymises learners in the warehouse; "
            "generated and kept in `<data_dir>/pseudonym.key` when empty."
        ),
    )
    sql_row_cap: int = field(
        default=10_000, metadata=_doc("Most rows one sandboxed SQL query returns.")
    )
    sql_timeout_s: int = field(
        default=10, metadata=_doc("Seconds a sandboxed SQL query may run before it is stopped.")
    )
    etl_batch_size: int = field(
        default=50_000,
        metadata=_doc("Statements read, flattened and loaded per batch by the analytics refresh."),
    )
    allow_erasure: bool = field(
        default=False,
        metadata=_doc(
            "Allow `lrs erase` and `POST /admin/erase` to remove an agent's data (the right to "
            "be forgotten); off by default, every erasure is audited."
        ),
    )

    flag_min_n: int = field(
        default=5,
        metadata=_doc(
            "Readiness flags: fewest required staff a department x competency month needs."
        ),
    )
    flag_min_months: int = field(
        default=6,
        metadata=_doc(
            "Readiness flags: months of the window with enough staff before a cell is flagged "
            "(else INSUFFICIENT_DATA)."
        ),
    )
    flag_window_months: int = field(
        default=12, metadata=_doc("Readiness flags: months of history each flag looks at.")
    )
    flag_alarm_e: float = field(
        default=1200.0,
        metadata=_doc(
            "Readiness flags: e-value alarm level c of the renewal-timing decline detector (> 1); "
            "an in-control cell alarms at most once per c months on average (1200 = at most "
            "1 false DECLINING per 100 cell-years)."
        ),
    )
    flag_start_months: int = field(
        default=12,
        metadata=_doc(
            "Readiness flags: months of possible decline start the detector considers (its "
            "in-control renewal law comes from dues before them)."
        ),
    )
    flag_ewma_lambda: float = field(
        default=0.2,
        metadata=_doc(
            "Readiness flags: smoothing weight (0 < lambda <= 1) of the display EWMA of "
            "compliance on the trend charts (not a test)."
        ),
    )
    flag_baseline_months: int = field(
        default=6,
        metadata=_doc(
            "Readiness flags: Phase I, the series' first months: their renewal dues always feed "
            "the decline detector's in-control law and are never judged; their compliance is "
            "shown as each flag's baseline."
        ),
    )
    flag_min_excess: int = field(
        default=2,
        metadata=_doc(
            "Readiness flags: a decline needs at least this many more open renewal dues than the "
            "in-control law expects (and at least LRS_FLAG_MIN_EXCESS_SHARE of established staff)."
        ),
    )
    flag_min_excess_share: float = field(
        default=0.10,
        metadata=_doc(
            "Readiness flags: a decline's excess open dues must also reach this share of the "
            "unit's established staff (materiality scales with unit size)."
        ),
    )
    target_compliance: float = field(
        default=0.9,
        metadata=_doc("Department compliance below this is red (forecast time-to-red target)."),
    )

    # -- people, dashboard sign-in and sessions (docs/people.md) --
    session_idle_minutes: int = field(
        default=30,
        metadata=_doc("Dashboard sessions end after this many minutes without a request."),
    )
    session_absolute_hours: int = field(
        default=8,
        metadata=_doc("Dashboard sessions end this many hours after sign-in, active or not."),
    )
    dashboard_key_sign_in: bool = field(
        default=True,
        metadata=_doc(
            "Also accept an API key + secret with an analytics scope on the dashboards' "
            "sign-in page (the administrators' fallback; all units). `false` leaves people only."
        ),
    )

    # -- forwarding to other LRSs (lrs forward …; docs/interop.md) --
    forward_max_attempts: int = field(
        default=10,
        metadata=_doc(
            "Forwarding: failed deliveries of one batch before its statements go to the "
            "destination's dead-letter list (`lrs forward retry` queues them again)."
        ),
    )
    forward_backoff_s: float = field(
        default=1.0,
        metadata=_doc("Forwarding: first retry delay in seconds, doubled after each failure."),
    )
    forward_backoff_cap_s: float = field(
        default=300.0, metadata=_doc("Forwarding: longest delay between retries, in seconds.")
    )
    forward_poll_s: float = field(
        default=1.0,
        metadata=_doc(
            "Forwarding: how often `lrs forward run` looks for new statements when idle."
        ),
    )
    forward_settle_s: float = field(
        default=60.0,
        metadata=_doc(
            "Forwarding: how long a gap in the statement sequence (a batch still being committed "
            "elsewhere) holds delivery back before it is taken as final (erasure, rollback)."
        ),
    )

    # -- alerts and their delivery (lrs alerts …; README "Getting told") --
    alerts_base_url: str = field(
        default="http://127.0.0.1:8000",
        metadata=_doc(
            "Alerts: the LRS's public URL, for the dashboard links in alerts and digests."
        ),
    )
    smtp_host: str = field(
        default="", metadata=_doc("Alerts: SMTP server for email alerts (empty: email disabled).")
    )
    smtp_port: int = field(default=587, metadata=_doc("Alerts: SMTP server port."))
    smtp_starttls: bool = field(
        default=True, metadata=_doc("Alerts: upgrade the SMTP connection with STARTTLS.")
    )
    smtp_user: str = field(default="", metadata=_doc("Alerts: SMTP login (empty: no login)."))
    smtp_password: str = field(default="", metadata=_doc("Alerts: SMTP password."))
    smtp_from: str = field(
        default="readiness-lrs@localhost", metadata=_doc("Alerts: the From address of emails.")
    )
    alerts_max_attempts: int = field(
        default=8,
        metadata=_doc(
            "Alerts: failed deliveries of one alert before it goes to the dead-letter list "
            "(`lrs alerts retry` queues it again)."
        ),
    )
    alerts_backoff_s: float = field(
        default=30.0,
        metadata=_doc("Alerts: first retry delay in seconds, doubled after each failure."),
    )
    alerts_backoff_cap_s: float = field(
        default=3600.0, metadata=_doc("Alerts: longest delay between retries, in seconds.")
    )
    alerts_timeout_s: float = field(
        default=10.0, metadata=_doc("Alerts: seconds to wait for an SMTP server or a webhook.")
    )
    alerts_digest_weekday: int = field(
        default=0,
        metadata=_doc("Alerts: weekday the weekly digest goes out (0 = Monday … 6 = Sunday)."),
    )
    alerts_time_to_red_days: int = field(
        default=30,
        metadata=_doc("Alerts: tell when a cell is forecast to turn red within this many days."),
    )
    alerts_cliff_share: float = field(
        default=0.2,
        metadata=_doc(
            "Alerts: certification cliff when more than this share of a department's required "
            "staff for a competency expire within 30 days."
        ),
    )

    # -- the scheduler (lrs worker; docs/scheduler.md) and retraining lists --
    worker_enabled: bool = field(
        default=True,
        metadata=_doc("`lrs start` (`make run`) also starts `lrs worker` beside the server."),
    )
    schedule_refresh_minutes: int = field(
        default=15, metadata=_doc("Scheduler: minutes between warehouse refreshes.")
    )
    schedule_models_hour: int = field(
        default=2,
        metadata=_doc("Scheduler: hour of the day (UTC, 0-23) of the nightly models run."),
    )
    schedule_poll_seconds: float = field(
        default=30.0, metadata=_doc("Scheduler: seconds between checks for due steps.")
    )
    schedule_lease_seconds: int = field(
        default=600,
        metadata=_doc(
            "Scheduler: lifetime of the worker lease (renewed every third of it while a step "
            "runs); a killed worker's lease frees after this long."
        ),
    )
    schedule_overdue_factor: float = field(
        default=2.0,
        metadata=_doc(
            "Scheduler: a step is overdue when its last success is older than this many "
            "periods (refresh interval; a day for models and alerts)."
        ),
    )
    retraining_due_days: int = field(
        default=30,
        metadata=_doc(
            "Retraining lists: include staff whose evidence expires within this many days."
        ),
    )
    # -- OpenID Connect sign-in for the dashboards (lrs/sso/; docs/sso.md) --
    oidc_issuer: str = field(
        default="",
        metadata=_doc(
            "OpenID provider's issuer URL (discovery at `<issuer>/.well-known/"
            "openid-configuration`); empty turns single sign-on off."
        ),
    )
    oidc_client_id: str = field(
        default="", metadata=_doc("Client (application) id registered at the provider.")
    )
    oidc_client_secret: str = field(
        default="", metadata=_doc("Client secret registered at the provider.")
    )
    oidc_token_auth: str = field(
        default="client_secret_basic",
        metadata=_doc(
            "How the client secret goes to the token endpoint: `client_secret_basic` or "
            "`client_secret_post`."
        ),
    )
    oidc_redirect_url: str = field(
        default="",
        metadata=_doc(
            "Redirect URL registered at the provider (default: this site's "
            "`/dashboards/oidc/callback` as the request reached it)."
        ),
    )
    oidc_scopes: tuple[str, ...] = field(
        default=("openid", "profile", "email"),
        metadata=_doc(
            "Scopes requested, comma-separated (`openid` is always sent; Okta needs `groups`)."
        ),
    )
    oidc_groups_claim: str = field(
        default="groups",
        metadata=_doc("ID token claim listing the person's groups (Keycloak/Okta/Entra: groups)."),
    )
    oidc_group_map: str = field(
        default="",
        metadata=_doc(
            'JSON: group -> {"roles": [...], "scope": "all" or "site:X,department:Y"}; a person '
            "gets the union over their mapped groups; no mapped group = refused."
        ),
    )
    oidc_provider_name: str = field(
        default="single sign-on",
        metadata=_doc('Shown on the sign-in button ("Sign in with <name>").'),
    )

    @property
    def resolved_warehouse_path(self) -> Path:
        """The warehouse file, defaulting to ``<data_dir>/warehouse.duckdb``."""
        if self.warehouse_path:
            return Path(self.warehouse_path)
        return self.data_dir / "warehouse.duckdb"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from ``LRS_<FIELD>`` in ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"LRS_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.type, raw, f.name)
        values.update(overrides)
        return cls(**values)

    @property
    def resolved_store_url(self) -> str:
        """The store URL, defaulting to the SQLite file under ``data_dir``."""
        if self.store_url:
            return self.store_url
        return f"sqlite:///{(self.data_dir / 'lrs.db').resolve()}"

    def with_(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (for tests and the CLI)."""
        return replace(self, **changes)


def _parse(type_name: Any, raw: str, name: str) -> Any:
    kind = str(type_name)
    try:
        if kind == "Path":
            return Path(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"LRS_{name.upper()}: {exc}") from exc
    return raw


def documented_settings() -> list[tuple[str, str, str]]:
    """(env name, default, doc) for every setting, for the README table and its test."""
    rows = []
    for f in fields(Settings):
        default = f.default
        shown = ",".join(default) if isinstance(default, tuple) else str(default)
        rows.append((f"LRS_{f.name.upper()}", shown, str(f.metadata.get("doc", ""))))
    return rows

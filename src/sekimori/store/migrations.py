"""PostgreSQL's schema as code: a versioned list of steps, applied in order in one transaction.

`schema_version` records each step applied. Replicas starting together serialise on an advisory
lock, so each step runs once; a database newer than this sekimori is refused, never downgraded.
Add a step at the end; never edit one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from sekimori.audit.record import GENESIS
from sekimori.errors import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "keys and the audit chain",
        f"""
CREATE TABLE api_keys (
  key_id text PRIMARY KEY, tenant text NOT NULL, digest text NOT NULL,
  created double precision NOT NULL, revoked double precision
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);
-- Moves with every key change, so replicas reload their key cache only when it does.
CREATE TABLE key_generation (id int PRIMARY KEY CHECK (id = 1), n bigint NOT NULL);
INSERT INTO key_generation VALUES (1, 0);
CREATE TABLE audit (
  seq bigint PRIMARY KEY,
  ts double precision NOT NULL, request_id text NOT NULL, tenant text NOT NULL,
  key_id text NOT NULL, model text NOT NULL, upstream text NOT NULL, status integer NOT NULL,
  decision text NOT NULL, categories text NOT NULL, stream boolean NOT NULL,
  total_ms double precision NOT NULL, upstream_ms double precision NOT NULL,
  screen_ms double precision NOT NULL, prompt_tokens integer, completion_tokens integer,
  text_mode text NOT NULL, prompt text, answer text, reasons text NOT NULL,
  client_request_id text,
  prev_hash text NOT NULL, hash text NOT NULL
);
CREATE INDEX audit_request ON audit (request_id);
CREATE INDEX audit_client_request ON audit (client_request_id);
CREATE INDEX audit_tenant_ts ON audit (tenant, ts);
CREATE INDEX audit_decision_ts ON audit (decision, ts);
-- The newest link, kept apart so that deleting the last rows is detected; writers lock this row.
CREATE TABLE audit_head (
  id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash text NOT NULL
);
INSERT INTO audit_head VALUES (1, 0, '{GENESIS}');
""",
    ),
    Migration(
        2,
        "versioned structured audit events",
        """
ALTER TABLE audit ADD COLUMN version integer, ADD COLUMN stages text,
  ADD COLUMN blocked_at text, ADD COLUMN held boolean, ADD COLUMN scores text;
CREATE INDEX audit_key_ts ON audit (key_id, ts);
""",
    ),
    Migration(
        3,
        "the watch's sketches and alerts",
        """
CREATE TABLE sketches (
  seq bigserial PRIMARY KEY, request_id text NOT NULL, ts double precision NOT NULL,
  data bytea NOT NULL
);
CREATE INDEX sketches_request ON sketches (request_id);
CREATE TABLE alerts (
  seq bigserial PRIMARY KEY, ts double precision NOT NULL, detector text NOT NULL,
  unit text NOT NULL, action text NOT NULL, tenant text NOT NULL, key_id text NOT NULL,
  score double precision NOT NULL, level double precision NOT NULL, category text,
  reason_en text NOT NULL, reason_ja text NOT NULL, features text NOT NULL
);
""",
    ),
    Migration(
        4,
        "the console's audit pages and time ranges",
        """
CREATE INDEX audit_ts ON audit (ts);
CREATE INDEX audit_key_seq ON audit (key_id, seq);
CREATE INDEX audit_tenant_seq ON audit (tenant, seq);
CREATE INDEX audit_decision_seq ON audit (decision, seq);
""",
    ),
    Migration(
        5,
        "the watch's sanctions in force",
        """
CREATE TABLE sanctions (
  key_id text PRIMARY KEY, until double precision NOT NULL, data text NOT NULL
);
""",
    ),
    Migration(
        6,
        "tenants: tier, status and limit overrides",
        """
CREATE TABLE tenants (
  name text PRIMARY KEY, display_name text NOT NULL, tier text,
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  limits text NOT NULL DEFAULT '{}',
  created double precision NOT NULL, updated double precision NOT NULL
);
-- Moves with every tenant change: each gateway polls it and re-reads the rows when it moves.
CREATE TABLE tenant_generation (id int PRIMARY KEY CHECK (id = 1), n bigint NOT NULL);
INSERT INTO tenant_generation VALUES (1, 0);
""",
    ),
)

# Any constant both sides agree on; it only has to differ from the application's other locks.
_LOCK = 0x5E41_0001


def migrate(conn: psycopg.Connection[tuple[object, ...]], where: str) -> int:
    """Bring the schema up to date; returns its version. Raises StoreError naming `where`."""
    latest = MIGRATIONS[-1].version
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY, "
            "name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())"
        )
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        current = int(str(row[0])) if row else 0
        if current > latest:
            raise StoreError(
                f"store {where}: schema version {current} is newer than this sekimori knows "
                f"({latest}); hint: upgrade sekimori / データベースのスキーマが新しすぎます"
            )
        for step in MIGRATIONS:
            if step.version > current:
                conn.execute(step.sql.encode())
                conn.execute(
                    "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                    (step.version, step.name),
                )
    return latest

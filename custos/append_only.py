"""Database-level append-only guards, on PostgreSQL and on SQLite.

Tables of record (the audit trail, custody events) must refuse UPDATE and DELETE even from
someone holding the application's database credentials and a SQL prompt: the rule lives in
the database, as triggers, not in Django. A table may allow exactly one kind of update:
filling its *seal* columns once (the audit trail's hash chain is computed after insert so
that chaining never serialises the writers, see ``audit/services.py``).

Migrations call :func:`install` and :func:`remove` with explicit column lists, so a later
change of the model never silently changes an applied migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Guard:
    """An append-only rule for ``table``.

    ``immutable`` lists every column that must never change. ``seal`` optionally names the
    columns that may be filled exactly once, while ``seal_marker`` (one of them) is still NULL,
    and only with values that satisfy ``seal_check``.
    """

    table: str
    immutable: Sequence[str]
    seal: Sequence[str] = field(default_factory=tuple)
    seal_marker: str | None = None
    # An SQL condition on NEW that a seal must satisfy (portable to both databases).
    seal_check: str = "TRUE"

    @property
    def name(self) -> str:
        return f"{self.table}_append_only"


def _postgresql_sql(guard: Guard) -> list[str]:
    old = ", ".join(f"OLD.{c}" for c in guard.immutable)
    new = ", ".join(f"NEW.{c}" for c in guard.immutable)
    if guard.seal:
        marker = guard.seal_marker
        allowed_update = (
            f"IF OLD.{marker} IS NULL AND NEW.{marker} IS NOT NULL AND ({guard.seal_check}) "
            f"AND ROW({new}) IS NOT DISTINCT FROM ROW({old}) THEN RETURN NEW; END IF;"
        )
    else:
        allowed_update = ""
    return [
        f"""
        CREATE OR REPLACE FUNCTION {guard.name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION '{guard.table} is append-only: DELETE is refused'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            {allowed_update}
            RAISE EXCEPTION '{guard.table} is append-only: UPDATE is refused'
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$;
        """,
        f"DROP TRIGGER IF EXISTS {guard.name} ON {guard.table};",
        f"""
        CREATE TRIGGER {guard.name} BEFORE UPDATE OR DELETE ON {guard.table}
        FOR EACH ROW EXECUTE FUNCTION {guard.name}();
        """,
    ]


def _sqlite_sql(guard: Guard) -> list[str]:
    if guard.seal:
        marker = guard.seal_marker
        unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in guard.immutable)
        when = (
            f"WHEN NOT (OLD.{marker} IS NULL AND NEW.{marker} IS NOT NULL "
            f"AND ({guard.seal_check}) AND {unchanged})"
        )
    else:
        when = ""
    return [
        f"""
        CREATE TRIGGER IF NOT EXISTS {guard.name}_no_delete BEFORE DELETE ON {guard.table}
        BEGIN SELECT RAISE(ABORT, '{guard.table} is append-only: DELETE is refused'); END;
        """,
        f"""
        CREATE TRIGGER IF NOT EXISTS {guard.name}_no_update BEFORE UPDATE ON {guard.table}
        {when}
        BEGIN SELECT RAISE(ABORT, '{guard.table} is append-only: UPDATE is refused'); END;
        """,
    ]


def install(connection: BaseDatabaseWrapper, guard: Guard) -> None:
    """Creates (or re-creates) the triggers of ``guard``."""
    if connection.vendor == "postgresql":
        statements = _postgresql_sql(guard)
    elif connection.vendor == "sqlite":
        statements = _sqlite_sql(guard)
    else:  # pragma: no cover - Custos supports PostgreSQL and SQLite only
        raise NotImplementedError(f"no append-only guard for {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def remove(connection: BaseDatabaseWrapper, guard: Guard) -> None:
    """Drops the triggers of ``guard`` (migration reverse; tests that simulate tampering)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {guard.name} ON {guard.table};")
            cursor.execute(f"DROP FUNCTION IF EXISTS {guard.name}();")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {guard.name}_no_delete;")
            cursor.execute(f"DROP TRIGGER IF EXISTS {guard.name}_no_update;")

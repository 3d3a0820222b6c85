"""Two PostgreSQL roles: one owns the tables and migrates, the other runs the application.

Triggers make the tables of record append-only (``custos/append_only.py``), but a table's
owner can disable its triggers, and TRUNCATE never fires them. So the web server and the
workers connect as a role that owns nothing and holds only the privileges granted here:

* on the tables of record (``APPEND_ONLY``): SELECT and INSERT, and UPDATE of the few
  columns their trigger lets change once (the audit trail's seal, a proof link's
  ``is_current``), never DELETE, TRUNCATE or TRIGGER;
* on ``django_migrations``: SELECT (the app never migrates);
* on every other table: SELECT, INSERT, UPDATE and DELETE; on every sequence: USAGE, SELECT.

:func:`grant_app_role` is idempotent: it revokes everything on every table of the schema
first, then grants, so running it after each ``migrate`` also covers new tables.
"""

from __future__ import annotations

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

# Table -> the columns the application may still UPDATE (each guarded by its table's
# trigger: filled once, or flipped once). A table with an append-only trigger must be here:
# tests/security/test_database_roles.py compares this with the triggers in the database.
APPEND_ONLY: dict[str, tuple[str, ...]] = {
    "audit_auditevent": ("chain_seq", "prev_hash", "hash"),
    "evidence_custodyevent": (),
    "evidence_evidencelink": ("is_current",),
}
READ_ONLY = ("django_migrations",)


class RoleError(Exception):
    """The role cannot serve as the application's role (it would bypass the grants)."""


def _quote(conn: BaseDatabaseWrapper, name: str) -> str:
    return conn.ops.quote_name(name)


def grant_statements(role: str, tables: list[str], conn: BaseDatabaseWrapper) -> list[str]:
    """The SQL that gives ``role`` exactly the application's privileges on ``tables``."""
    r = _quote(conn, role)
    statements = [
        f"GRANT CONNECT ON DATABASE {_quote(conn, conn.settings_dict['NAME'])} TO {r}",
        f"GRANT USAGE ON SCHEMA {_quote(conn, _schema(conn))} TO {r}",
    ]
    for table in tables:
        t = _quote(conn, table)
        statements.append(f"REVOKE ALL ON TABLE {t} FROM {r}")
        if table in APPEND_ONLY:
            statements.append(f"GRANT SELECT, INSERT ON TABLE {t} TO {r}")
            columns = ", ".join(_quote(conn, c) for c in APPEND_ONLY[table])
            if columns:
                statements.append(f"GRANT UPDATE ({columns}) ON TABLE {t} TO {r}")
        elif table in READ_ONLY:
            statements.append(f"GRANT SELECT ON TABLE {t} TO {r}")
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {t} TO {r}")
    statements.append(
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_quote(conn, _schema(conn))} TO {r}"
    )
    return statements


def _schema(conn: BaseDatabaseWrapper) -> str:
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return cursor.fetchone()[0]


def ensure_login_role(role: str, password: str, conn: BaseDatabaseWrapper = connection) -> bool:
    """Creates ``role`` as a plain login role with ``password``, or sets its password;
    returns whether it was created. (For deployments where the migrating owner may create
    roles, as in docker-compose.yml.)"""
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
        verb = "ALTER" if exists else "CREATE"
        cursor.execute(
            f"{verb} ROLE {_quote(conn, role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
            "NOBYPASSRLS PASSWORD %s",
            [password],
        )
    return not exists


def grant_app_role(role: str, conn: BaseDatabaseWrapper = connection) -> list[str]:
    """Grants ``role`` the application's privileges on every table; returns the tables.

    Refuses a superuser, a role that may bypass row security, and a role that owns any
    table of the schema: each would bypass the grants (or the triggers) it is meant to be
    held to.
    """
    if conn.vendor != "postgresql":
        raise RoleError("database roles exist on PostgreSQL only")
    with conn.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise RoleError(f"role {role!r} does not exist: CREATE ROLE it first")
        if found[0] or found[1]:
            raise RoleError(f"role {role!r} is a superuser or bypasses row security")
        cursor.execute(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename"
        )
        rows = cursor.fetchall()
        owned = [name for name, owner in rows if owner == role]
        if owned:
            raise RoleError(
                f"role {role!r} owns {len(owned)} tables (e.g. {owned[0]}): the application "
                "role must own nothing, or it could disable the append-only triggers"
            )
        tables = [name for name, _owner in rows]
        for statement in grant_statements(role, tables, conn):
            cursor.execute(statement)
    return tables

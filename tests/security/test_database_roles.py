"""ASVS V16/V8: the tables of record are append-only at the database, for the role the
application runs as, on top of the triggers; and a superuser's edit that bypasses the triggers
is caught by ``verify_audit`` and ``verify_custody``.

Each test creates a role inside its own transaction (rolled back at the end: the role goes
with it), grants it with ``manage.py grant_app_role`` and acts as it with ``SET ROLE``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record, audit_seal
from custos.db_roles import APPEND_ONLY
from tests.evidence.conftest import Evidence

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_role(db: None) -> str:
    role = f"custos_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("grant_app_role", role, stdout=None)
    return role


class _AsRole:
    def __init__(self, role: str) -> None:
        self.role = role

    def __enter__(self) -> _AsRole:
        with connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{self.role}"')
        return self

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

    def run(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Runs ``sql`` in a savepoint; a refusal leaves the test's transaction usable."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def refused(self, sql: str, params: list[object] | None = None) -> str:
        with pytest.raises(DatabaseError) as caught:
            self.run(sql, params)
        return str(caught.value)


@pytest.fixture
def as_app(app_role: str) -> Iterator[_AsRole]:
    with _AsRole(app_role) as acting:
        yield acting


def _triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT c.relname FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND n.nspname = current_schema()
            """
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_table_with_an_append_only_trigger_is_append_only_for_the_app_role(
    db: None,
) -> None:
    assert _triggered_tables() == set(APPEND_ONLY), (
        "a table with an append-only trigger must be listed in custos.db_roles.APPEND_ONLY"
    )


def test_the_app_role_inserts_and_reads_audit_rows_but_cannot_change_them(
    as_app: _AsRole, investigator: User
) -> None:
    event = audit_record(actor=investigator, action="test.as_app")  # INSERT, as the app
    assert as_app.run("SELECT action FROM audit_auditevent WHERE id = %s", [event.pk]) == [
        ("test.as_app",)
    ]
    for sql in (
        "UPDATE audit_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        assert "permission denied" in as_app.refused(sql, [event.pk])
    assert "permission denied" in as_app.refused("TRUNCATE audit_auditevent CASCADE")
    assert "permission denied" in as_app.refused(
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL"
    ).replace("must be owner", "permission denied")
    assert "permission denied" in as_app.refused("SET session_replication_role = replica")


def test_the_app_role_can_still_seal_the_audit_chain(as_app: _AsRole, investigator: User) -> None:
    audit_record(actor=investigator, action="test.seal_as_app")
    assert audit_seal() >= 1  # UPDATE of the seal columns only, once (the trigger)
    sealed = AuditEvent.objects.get(action="test.seal_as_app")
    assert sealed.is_sealed
    # The seal columns of a sealed row: the grant allows the column, the trigger refuses.
    assert "append-only" in as_app.refused(
        "UPDATE audit_auditevent SET hash = repeat('0', 64) WHERE id = %s", [sealed.pk]
    )


def test_the_app_role_cannot_change_or_remove_custody_events(app_role: str, ev: Evidence) -> None:
    with _AsRole(app_role) as as_app:
        assert as_app.run(
            "SELECT count(*) FROM evidence_custodyevent WHERE item_id = %s", [ev.item.pk]
        ) == [(2,)]  # registered, file attached
        for sql in (
            "UPDATE evidence_custodyevent SET notes = 'forged' WHERE item_id = %s",
            "DELETE FROM evidence_custodyevent WHERE item_id = %s",
            "UPDATE evidence_evidencelink SET relevance = 'forged' WHERE item_id = %s",
            "DELETE FROM evidence_evidencelink WHERE item_id = %s",
        ):
            assert "permission denied" in as_app.refused(sql, [ev.item.pk])
        assert "permission denied" in as_app.refused("TRUNCATE evidence_custodyevent CASCADE")
        # Ordinary tables keep ordinary DML.
        as_app.run(
            "UPDATE evidence_evidenceitem SET description = description WHERE id = %s",
            [ev.item.pk],
        )


def test_the_app_role_records_custody_through_the_services(app_role: str, ev: Evidence) -> None:
    from evidence import services

    with _AsRole(app_role):
        transfer = services.transfer_initiate(
            item=ev.item, actor=ev.world.investigator, to_user=ev.world.lead, purpose="Analysis"
        )
        services.transfer_accept(transfer=transfer, actor=ev.world.lead, location="Lab")
    assert ev.item.custody_events.count() == 3
    call_command("verify_custody")


def test_grant_app_role_refuses_a_role_that_owns_tables(app_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE accounts_notification OWNER TO "{app_role}"')
    with pytest.raises(CommandError, match="owns 1 tables"):
        call_command("grant_app_role", app_role)


def test_grant_app_role_refuses_a_superuser(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        me = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", me)


def test_grant_app_role_is_idempotent(app_role: str, capsys: pytest.CaptureFixture) -> None:
    call_command("grant_app_role", app_role)
    call_command("grant_app_role", app_role)
    assert "append-only" in capsys.readouterr().out
    with _AsRole(app_role) as as_app:
        assert "permission denied" in as_app.refused("DELETE FROM audit_auditevent")


# --- A superuser's edit, bypassing the triggers, is caught ------------------------------------


def _as_superuser_without_triggers(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # triggers do not fire
        cursor.execute(sql, params)


def test_verify_audit_catches_an_edit_made_by_the_superuser(investigator: User) -> None:
    for n in range(3):
        audit_record(actor=investigator, action=f"test.row{n}")
    audit_seal()
    call_command("verify_audit")
    target = AuditEvent.objects.get(action="test.row1")
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET action = 'test.innocent' WHERE id = %s", [target.pk]
    )
    with pytest.raises(CommandError, match=f"row id={target.pk}"):
        call_command("verify_audit")


def test_verify_custody_catches_an_edit_made_by_the_superuser(ev: Evidence) -> None:
    event = ev.item.custody_events.get(seq=1)
    _as_superuser_without_triggers(
        "UPDATE evidence_custodyevent SET location = 'Somewhere else' WHERE id = %s", [event.pk]
    )
    with pytest.raises(CommandError, match=f"{ev.item.exhibit} broken at event #1"):
        call_command("verify_custody")


def test_grant_app_role_creates_a_login_role_with_the_password_of_the_environment(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = f"custos_app_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("TEST_APP_DB_PASSWORD", "s3cret-for-the-app")
    call_command("grant_app_role", role, "--password-env", "TEST_APP_DB_PASSWORD")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolpassword IS NOT NULL FROM pg_authid "
            "WHERE rolname = %s",
            [role],
        )
        assert cursor.fetchone() == (True, False, True)
    with _AsRole(role) as as_app:
        assert "permission denied" in as_app.refused("DELETE FROM evidence_custodyevent")

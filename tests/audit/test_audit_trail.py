"""The audit trail is append-only in the database itself, and its hash chain detects tampering."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from accounts.models import User
from audit.models import AUDIT_GUARD, AuditChain, AuditEvent
from audit.services import audit_record, audit_seal, audit_verify
from custos import append_only
from tests.conftest import audit_actions


@pytest.fixture
def events(investigator: User) -> list[AuditEvent]:
    rows = [
        audit_record(
            actor=investigator,
            action="test.read",
            target=investigator,
            details={"n": n, "text": "قضية"},
        )
        for n in range(5)
    ]
    assert audit_seal() == AuditEvent.objects.count()
    return rows


def _raw(sql: str, params: list[Any] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def test_raw_update_is_refused_by_the_database(events: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditevent SET action = 'tampered' WHERE id = %s", [events[0].pk])
    assert AuditEvent.objects.get(pk=events[0].pk).action == "test.read"


def test_raw_delete_is_refused_by_the_database(events: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.filter(pk=events[0].pk).exists()


def test_an_unsealed_row_cannot_be_changed_either(investigator: User) -> None:
    event = audit_record(actor=investigator, action="test.read")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    # Nor "sealed" without a hash, to hide it from the chain.
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditevent SET chain_seq = 99 WHERE id = %s", [event.pk])


def test_a_sealed_row_cannot_be_resealed(events: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(
            "UPDATE audit_auditevent SET hash = 'x', chain_seq = 1000 WHERE id = %s", [events[0].pk]
        )


def test_seal_links_rows_in_commit_order_and_verifies(events: list[AuditEvent]) -> None:
    rows = list(AuditEvent.objects.order_by("chain_seq"))
    assert [r.chain_seq for r in rows] == list(range(1, len(rows) + 1))
    for before, after in pairwise(rows):
        assert after.prev_hash == before.hash
    chain = AuditChain.objects.get()
    assert (chain.seq, chain.head_hash) == (rows[-1].chain_seq, rows[-1].hash)
    report = audit_verify()
    assert report.ok
    assert report.checked == len(rows)


def test_verify_names_a_row_altered_with_the_trigger_disabled(events: list[AuditEvent]) -> None:
    target = events[2]
    append_only.remove(connection, AUDIT_GUARD)
    _raw("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', target.pk])
    append_only.install(connection, AUDIT_GUARD)

    report = audit_verify()
    assert not report.ok
    assert report.broken_id == target.pk
    assert "altered" in report.reason
    with pytest.raises(CommandError, match=f"row id={target.pk} "):
        call_command("verify_audit")


def test_verify_detects_a_deleted_row(events: list[AuditEvent]) -> None:
    append_only.remove(connection, AUDIT_GUARD)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    append_only.install(connection, AUDIT_GUARD)
    report = audit_verify()
    assert not report.ok
    assert report.broken_id == events[2].pk
    assert "missing" in report.reason


def test_verify_detects_rows_cut_from_the_end(events: list[AuditEvent]) -> None:
    append_only.remove(connection, AUDIT_GUARD)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    append_only.install(connection, AUDIT_GUARD)
    report = audit_verify()
    assert not report.ok
    assert "end" in report.reason


def test_verify_audit_command_reports_an_intact_chain(events: list[AuditEvent], capsys) -> None:
    audit_record(actor=None, action="test.unsealed")
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"{len(events) + 1} rows verified" in out  # it sealed the new row first


def test_audit_record_takes_ip_and_user_agent_from_the_request(
    client: Client, investigator: User
) -> None:
    client.force_login(investigator)
    client.post(
        "/accounts/profile/",
        {"full_name": "New Name", "preferred_language": "en"},
        HTTP_USER_AGENT="FieldLaptop/1.0",
        REMOTE_ADDR="192.0.2.44",
    )
    event = AuditEvent.objects.get(action="account.profile_updated")
    assert (event.ip, event.user_agent, event.actor) == (
        "192.0.2.44",
        "FieldLaptop/1.0",
        investigator,
    )
    assert event.details == {"fields": ["full_name"]}


def test_a_rolled_back_change_leaves_no_audit_row(investigator: User) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            audit_record(actor=investigator, action="test.change")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert "test.change" not in audit_actions()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sealers_never_fork_the_chain(investigator: User) -> None:
    import threading

    for n in range(300):
        audit_record(actor=investigator, action="test.concurrent", details={"n": n})
    errors: list[BaseException] = []

    def seal() -> None:
        try:
            audit_seal(batch_size=25)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    audit_seal()
    assert not errors
    report = audit_verify()
    assert report.ok
    assert report.checked == AuditEvent.objects.count()

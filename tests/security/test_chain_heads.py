"""The chain heads can be exported, and an export held elsewhere catches a rewrite of a chain
that recomputed every hash after the change (which ``verify_audit`` alone cannot)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils.dateparse import parse_datetime

from audit.models import AUDIT_GUARD, AuditChain, AuditEvent
from audit.services import audit_record, audit_seal, chain_hash
from custos import append_only
from evidence.custody import event_hash
from evidence.models import CUSTODY_GUARD
from tests.evidence.conftest import Evidence


def _export(tmp_path: Path) -> dict:
    target = tmp_path / "heads.json"
    call_command("export_chain_heads", "--output", str(target))
    return json.loads(target.read_text())


def test_the_export_holds_the_audit_head_and_every_custody_head_with_the_time(
    ev: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    heads = _export(tmp_path)
    chain = AuditChain.objects.get()
    assert chain.seq > 0, "the export seals the rows committed so far first"
    assert heads["audit"] == {
        "seq": chain.seq,
        "hash": chain.head_hash,
        "sealed_at": chain.sealed_at.isoformat(),
    }
    assert AuditEvent.objects.get(chain_seq=chain.seq).hash == chain.head_hash
    ev.item.refresh_from_db()
    assert heads["custody"] == [
        {"item": ev.item.pk, "exhibit": ev.item.exhibit, "seq": 2, "hash": ev.item.custody_head}
    ]
    assert parse_datetime(heads["exported_at"]) is not None
    call_command("export_chain_heads")  # to standard output
    assert json.loads(capsys.readouterr().out)["audit"]["hash"] == chain.head_hash


def test_a_held_export_still_matches_after_the_chains_grow(ev: Evidence, tmp_path: Path) -> None:
    heads = tmp_path / "heads.json"
    call_command("export_chain_heads", "--output", str(heads))
    audit_record(actor=ev.world.lead, action="test.later")
    audit_seal()
    call_command("export_chain_heads", "--check", str(heads))


def _rewrite_audit_from(row: AuditEvent, action: str) -> None:
    """What an attacker with the database would do: change a row, then recompute the hash of
    every row after it and the chain head, so that the chain verifies again."""
    append_only.remove(connection, AUDIT_GUARD)
    AuditEvent.objects.filter(pk=row.pk).update(action=action)
    prev = row.prev_hash
    for event in AuditEvent.objects.filter(chain_seq__gte=row.chain_seq).order_by("chain_seq"):
        event.hash = chain_hash(prev, event)
        event.prev_hash = prev
        event.save(update_fields=["hash", "prev_hash"])
        prev = event.hash
    AuditChain.objects.filter(pk=1).update(head_hash=prev)
    append_only.install(connection, AUDIT_GUARD)


def test_a_rewritten_audit_chain_passes_verify_audit_but_not_the_held_heads(
    ev: Evidence, tmp_path: Path
) -> None:
    heads = tmp_path / "heads.json"
    call_command("export_chain_heads", "--output", str(heads))
    first = AuditEvent.objects.order_by("chain_seq")[0]
    _rewrite_audit_from(first, "auth.nothing_to_see")
    call_command("verify_audit")  # consistent again: the rewrite recomputed everything
    with pytest.raises(CommandError, match="audit chain position"):
        call_command("export_chain_heads", "--check", str(heads))


def test_a_rewritten_custody_chain_is_caught_by_the_held_heads(
    ev: Evidence, tmp_path: Path
) -> None:
    heads = tmp_path / "heads.json"
    call_command("export_chain_heads", "--output", str(heads))
    append_only.remove(connection, CUSTODY_GUARD)
    event = ev.item.custody_events.get(seq=2)  # the last: the file attached
    event.location = "A shelf nobody checked"
    event.hash = event_hash(event.prev_hash, event)
    event.save(update_fields=["location", "hash"])
    type(ev.item).objects.filter(pk=ev.item.pk).update(custody_head=event.hash)
    append_only.install(connection, CUSTODY_GUARD)
    # The chain is consistent again, but the sealed audit row of the append holds its hash.
    with pytest.raises(CommandError, match=f"{ev.item.exhibit} event #2: the event's hash is"):
        call_command("verify_custody")
    with pytest.raises(CommandError, match=f"custody of {ev.item.exhibit}"):
        call_command("export_chain_heads", "--check", str(heads))

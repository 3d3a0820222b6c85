"""Which file is an exhibit is tamper-evident, and so is what was deleted.

Each test tampers the way someone with the database (and, where needed, the power to disable
its triggers) would, then shows that a verify command names the exhibit. Without the binding
of files into the custody chain and the comparison with the sealed audit trail, every one of
these tampers passed ``verify_audit``, ``verify_custody``, ``verify_fixity`` and
``export_chain_heads --check``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from audit.services import audit_seal
from custos import append_only
from evidence import services
from evidence.custody import verify_chains
from evidence.models import CUSTODY_GUARD, CustodyEvent, EvidenceItem, StoredBlob
from evidence.storage import blob_name
from tests.cases.conftest import SHARED_WORLD
from tests.evidence.conftest import PNG, Evidence, hashed_upload

pytestmark = SHARED_WORLD  # the case world is built once for the module

Kind = CustodyEvent.Kind


def _sql(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_attaching_a_file_appends_an_event_that_names_it(ev: Evidence) -> None:
    event = ev.item.custody_events.get(seq=2)
    assert (event.kind, event.file, event.file_sha256, event.file_role, event.file_name) == (
        Kind.FILE_ATTACHED,
        ev.original,
        ev.original.blob.sha256,
        "original",
        "statement.pdf",
    )
    derived = services.file_add(
        item=ev.item,
        actor=ev.world.investigator,
        upload=hashed_upload(PNG, "page-1.png"),
        role="working_copy",
        derived_from=ev.original,
        method="Page 1 rendered as an image",
    ).file
    ev.item.refresh_from_db()
    last = ev.item.custody_events.get(seq=3)
    assert (last.file, last.file_role, ev.item.custody_head) == (derived, "working_copy", last.hash)
    call_command("verify_custody")


def test_a_file_repointed_at_other_bytes_is_named(ev: Evidence, tmp_path: Path) -> None:
    other, _ = services.item_create(
        case=ev.world.case,
        actor=ev.world.investigator,
        upload=hashed_upload(PNG, "photo.png"),
        kind=EvidenceItem.Kind.PHOTOGRAPH,
        description="Another exhibit",
    )
    heads = tmp_path / "heads.json"
    call_command("export_chain_heads", "--output", str(heads))
    png = StoredBlob.objects.get(sha256=hashlib.sha256(PNG).hexdigest())
    _sql("UPDATE evidence_evidencefile SET blob_id = %s WHERE id = %s", [png.pk, ev.original.pk])

    call_command("verify_audit")  # the audit trail is untouched
    call_command("export_chain_heads", "--check", str(heads))  # and so are the chains
    with pytest.raises(CommandError, match=rf"{ev.item.exhibit} event #2: file id=\d+ now has"):
        call_command("verify_custody")
    with pytest.raises(CommandError, match=ev.item.exhibit):
        call_command("verify_fixity")  # the bytes are not those the chain recorded for it
    assert other.exhibit != ev.item.exhibit


def test_bytes_replaced_with_their_blob_hash_are_named(
    ev: Evidence, evidence_storage: Path
) -> None:
    blob = ev.original.blob
    forged = b"%PDF-1.4 a different statement" + b"y" * 5000
    path = evidence_storage / "files" / blob_name(blob.sha256)
    os.chmod(path, 0o640)
    path.write_bytes(forged)
    StoredBlob.objects.filter(pk=blob.pk).update(sha256=hashlib.sha256(forged).hexdigest())

    with pytest.raises(CommandError, match=f"failed their fixity check: {ev.item.exhibit}"):
        call_command("verify_fixity")
    with pytest.raises(CommandError, match=f"{ev.item.exhibit} event #2: file id="):
        call_command("verify_custody")


def test_a_second_event_for_the_same_file_is_refused_by_the_database(ev: Evidence) -> None:
    from django.db import IntegrityError

    ev.item.refresh_from_db()
    with pytest.raises(IntegrityError), transaction.atomic():
        CustodyEvent.objects.create(
            item=ev.item,
            seq=ev.item.custody_seq + 1,
            kind=Kind.FILE_ATTACHED,
            actor=ev.world.investigator,
            occurred_at=ev.original.uploaded_at,
            file=ev.original,
            prev_hash=ev.item.custody_head,
            hash="0" * 64,
        )


# --- Deletions, with the triggers out of the way --------------------------------------------


def _examined(ev: Evidence) -> CustodyEvent:
    return services.custody_record(
        item=ev.item, actor=ev.world.investigator, kind=Kind.EXAMINED, purpose="Reading"
    )


def _cut_tail(ev: Evidence, last: CustodyEvent) -> None:
    """Deletes the last event and moves the item's head back: the chain recomputes."""
    previous = ev.item.custody_events.get(seq=last.seq - 1)
    _sql("DELETE FROM evidence_custodyevent WHERE id = %s", [last.pk])
    EvidenceItem.objects.filter(pk=ev.item.pk).update(
        custody_seq=previous.seq, custody_head=previous.hash
    )


def _delete_item(item: EvidenceItem) -> None:
    _sql("DELETE FROM evidence_custodyevent WHERE item_id = %s", [item.pk])
    _sql("DELETE FROM evidence_evidencefile WHERE item_id = %s", [item.pk])
    _sql("DELETE FROM evidence_evidenceitem WHERE id = %s", [item.pk])


def test_a_chain_cut_at_its_tail_is_named(ev: Evidence) -> None:
    last = _examined(ev)
    audit_seal()
    append_only.remove(connection, CUSTODY_GUARD)
    _cut_tail(ev, last)
    append_only.install(connection, CUSTODY_GUARD)
    assert verify_chains().ok  # the chain alone still recomputes
    with pytest.raises(
        CommandError, match=f"{ev.item.exhibit} event #{last.seq}: the event was deleted"
    ):
        call_command("verify_custody")


def test_a_deleted_item_is_named(ev: Evidence) -> None:
    audit_seal()
    append_only.remove(connection, CUSTODY_GUARD)
    _delete_item(ev.item)
    append_only.install(connection, CUSTODY_GUARD)
    assert verify_chains().ok
    with pytest.raises(CommandError, match=f"{ev.item.exhibit}: the item was deleted"):
        call_command("verify_custody")


def test_audit_rows_written_before_the_binding_are_still_compared(ev: Evidence) -> None:
    """Rows without the event's hash (written before it was recorded) are tolerated: the item
    and the position they name must still exist, the hash is not compared."""
    from audit.services import audit_record

    audit_record(
        actor=ev.world.investigator, action="custody.examined", target=ev.item, details={"seq": 9}
    )
    with pytest.raises(CommandError, match=f"{ev.item.exhibit} event #9: the event was deleted"):
        call_command("verify_custody")


@pytest.mark.postgres
def test_deletions_made_with_the_triggers_disabled_are_named_on_postgresql(
    ev: Evidence, tmp_path: Path
) -> None:
    last = _examined(ev)
    doomed, _ = services.item_create(
        case=ev.world.case,
        actor=ev.world.investigator,
        kind=EvidenceItem.Kind.PHYSICAL,
        description="A shell fragment",
    )
    heads = tmp_path / "heads.json"
    call_command("export_chain_heads", "--output", str(heads))  # seals the audit rows
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: ALTER TABLE runs
        cursor.execute("ALTER TABLE evidence_custodyevent DISABLE TRIGGER ALL")
        cursor.execute("ALTER TABLE evidence_evidenceitem DISABLE TRIGGER ALL")
        cursor.execute("ALTER TABLE evidence_evidencefile DISABLE TRIGGER ALL")
    _cut_tail(ev, last)
    _delete_item(doomed)
    with connection.cursor() as cursor:
        for table in ("evidence_custodyevent", "evidence_evidenceitem", "evidence_evidencefile"):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
    assert verify_chains().ok
    call_command("verify_audit")
    with pytest.raises(CommandError) as caught:
        call_command("verify_custody")
    assert f"{ev.item.exhibit} event #{last.seq}: the event was deleted" in str(caught.value)
    assert f"{doomed.exhibit}: the item was deleted" in str(caught.value)
    with pytest.raises(CommandError, match=f"custody of {doomed.exhibit}"):
        call_command("export_chain_heads", "--check", str(heads))
    assert json.loads(heads.read_text())["custody"]

"""Migration evidence 0005 gives every file attached before it its ``file_attached`` event,
appended to its item's chain, and takes them away again on the way back.

PostgreSQL only: SQLite's schema editor refuses to run inside the test's transaction.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from evidence import services
from evidence.custody import verify_item
from evidence.models import CustodyEvent, EvidenceFile, EvidenceItem, StoredBlob
from tests.cases.conftest import World

pytestmark = pytest.mark.postgres

BEFORE = [("evidence", "0004_file_access_and_custody_binding")]
AFTER = [("evidence", "0005_files_in_the_custody_chain")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _file_as_before(item: EvidenceItem, data: bytes, name: str, **extra: object) -> EvidenceFile:
    """A file attached the way the code before evidence 0005 did: no custody event."""
    sha256 = hashlib.sha256(data).hexdigest()
    blob = StoredBlob.objects.create(
        sha256=sha256, size=len(data), mime_type="text/plain", storage_name=f"evidence/{sha256}"
    )
    return EvidenceFile.objects.create(
        item=item, blob=blob, filename=name, uploaded_by=item.created_by, **extra
    )


def test_the_migration_appends_an_event_for_every_file_and_reverses(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # DDL refuses pending trigger events
    _migrate(BEFORE)
    item, _ = services.item_create(
        case=world.case,
        actor=world.investigator,
        kind=EvidenceItem.Kind.DOCUMENT,
        description="A report",
    )
    services.custody_record(item=item, actor=world.investigator, kind=CustodyEvent.Kind.EXAMINED)
    original = _file_as_before(
        item, b"report", "report.txt", role="original", uploaded_at=timezone.now()
    )
    # Uploaded before the examination was recorded: a late entry in the chain.
    copy = _file_as_before(
        item,
        b"report, page 1",
        "page-1.txt",
        role="working_copy",
        derived_from=original,
        method="Page 1",
        uploaded_at=timezone.now() - timedelta(days=1),
    )
    untouched, _ = services.item_create(
        case=world.case, actor=world.investigator, kind=EvidenceItem.Kind.PHYSICAL, description="x"
    )

    _migrate(AFTER)
    item.refresh_from_db()
    events = list(item.custody_events.order_by("seq"))
    assert [e.kind for e in events] == ["received", "examined", "file_attached", "file_attached"]
    by_file = {e.file_id: e for e in events[2:]}
    assert [e.file_id for e in events[2:]] == [copy.pk, original.pk]  # in upload order
    assert by_file[original.pk].file_sha256 == hashlib.sha256(b"report").hexdigest()
    assert (by_file[copy.pk].file_role, by_file[copy.pk].file_name) == (
        "working_copy",
        "page-1.txt",
    )
    assert by_file[copy.pk].actor == world.investigator
    assert by_file[copy.pk].occurred_at == copy.uploaded_at
    assert "migration" in by_file[copy.pk].notes
    assert by_file[copy.pk].late_reason  # before the examination it follows in the chain
    assert (item.custody_seq, item.custody_head) == (4, events[-1].hash)
    assert verify_item(item) is None
    untouched.refresh_from_db()
    assert untouched.custody_seq == 1
    call_command("verify_custody")

    _migrate(BEFORE)
    item.refresh_from_db()
    assert item.custody_seq == 2
    assert [e.kind for e in item.custody_events.order_by("seq")] == ["received", "examined"]
    assert verify_item(item) is None
    _migrate(AFTER)

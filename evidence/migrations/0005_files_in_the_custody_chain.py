"""Files join the custody chain: a ``file_attached`` event for every file attached so far.

Each existing ``EvidenceFile`` gets its event, appended to its item's chain in file order (the
uploader as actor, the upload as the time it occurred, recorded now, with a note saying this
migration recorded it), and the item's chain head moves to it. The append-only guard is
re-installed with the event's new columns; a file may be attached by one event only.
"""

from importlib import import_module

from django.db import migrations, models
from django.utils import timezone

from custos import append_only
from evidence.custody import GENESIS, chain_hash

# Frozen here: the rule as it is installed now. No column of a custody event may ever change.
GUARD = append_only.Guard(
    table="evidence_custodyevent",
    immutable=(
        "id",
        "item_id",
        "seq",
        "kind",
        "actor_id",
        "recorded_at",
        "occurred_at",
        "from_user_id",
        "from_external",
        "to_user_id",
        "to_external",
        "location",
        "purpose",
        "notes",
        "file_id",
        "file_sha256",
        "file_role",
        "file_name",
        "late_reason",
        "prev_hash",
        "hash",
    ),
)
# The guard of evidence 0002, for the way back.
PREVIOUS_GUARD = import_module("evidence.migrations.0002_custody_events_append_only").GUARD

NOTE = (
    "Recorded by the migration that made files part of the chain of custody "
    "(evidence 0005); the file was attached before that."
)
LATE = "The file was attached before files were part of the chain of custody."

HASHED = (
    "item_id",
    "seq",
    "kind",
    "actor_id",
    "recorded_at",
    "occurred_at",
    "from_user_id",
    "from_external",
    "to_user_id",
    "to_external",
    "location",
    "purpose",
    "notes",
    "file_id",
    "file_sha256",
    "file_role",
    "file_name",
    "late_reason",
)


def install_guard(apps, schema_editor):
    append_only.remove(schema_editor.connection, PREVIOUS_GUARD)
    append_only.install(schema_editor.connection, GUARD)


def install_previous_guard(apps, schema_editor):
    append_only.remove(schema_editor.connection, GUARD)
    append_only.install(schema_editor.connection, PREVIOUS_GUARD)


def attach_existing_files(apps, schema_editor):
    EvidenceItem = apps.get_model("evidence", "EvidenceItem")
    EvidenceFile = apps.get_model("evidence", "EvidenceFile")
    CustodyEvent = apps.get_model("evidence", "CustodyEvent")
    recorded = timezone.now()
    files = EvidenceFile.objects.select_related("blob").order_by("item_id", "uploaded_at", "id")
    item = None
    for file in files.iterator(chunk_size=500):
        if item is None or item.pk != file.item_id:
            if item is not None:
                item.save(update_fields=["custody_seq", "custody_head"])
            item = EvidenceItem.objects.select_for_update().get(pk=file.item_id)
            last = (
                CustodyEvent.objects.filter(item_id=item.pk, seq=item.custody_seq)
                .values_list("occurred_at", flat=True)
                .first()
            )
        late = last is not None and file.uploaded_at < last
        event = CustodyEvent(
            item_id=item.pk,
            seq=item.custody_seq + 1,
            kind="file_attached",
            actor_id=file.uploaded_by_id,
            recorded_at=recorded,
            occurred_at=file.uploaded_at,
            notes=NOTE,
            file_id=file.pk,
            file_sha256=file.blob.sha256,
            file_role=file.role,
            file_name=file.filename,
            late_reason=LATE if late else "",
            prev_hash=item.custody_head or GENESIS,
        )
        event.hash = chain_hash(event.prev_hash, {name: getattr(event, name) for name in HASHED})
        event.save()
        item.custody_seq, item.custody_head = event.seq, event.hash
        last = max(last, file.uploaded_at) if last is not None else file.uploaded_at
    if item is not None:
        item.save(update_fields=["custody_seq", "custody_head"])


def detach_existing_files(apps, schema_editor):
    """Removes the events this migration recorded (the guard is lifted for it) and moves each
    chain's head back to the event before them."""
    EvidenceItem = apps.get_model("evidence", "EvidenceItem")
    CustodyEvent = apps.get_model("evidence", "CustodyEvent")
    mine = CustodyEvent.objects.filter(kind="file_attached", notes=NOTE)
    items = set(mine.values_list("item_id", flat=True))
    append_only.remove(schema_editor.connection, GUARD)
    mine.delete()
    for item in EvidenceItem.objects.filter(pk__in=items):
        last = CustodyEvent.objects.filter(item_id=item.pk).order_by("-seq").first()
        item.custody_seq = last.seq if last else 0
        item.custody_head = last.hash if last else ""
        item.save(update_fields=["custody_seq", "custody_head"])
    append_only.install(schema_editor.connection, GUARD)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0004_file_access_and_custody_binding")]

    operations = [
        migrations.RunPython(install_guard, install_previous_guard),
        # Before the rows: PostgreSQL refuses CREATE INDEX once they wait on deferred checks.
        migrations.AddConstraint(
            model_name="custodyevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(file__isnull=False),
                fields=("file",),
                name="custody_event_file_once",
            ),
        ),
        migrations.RunPython(attach_existing_files, detach_existing_files),
    ]

"""Fixity: re-hashing stored evidence files against the hashes the custody chain recorded."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import notification_send
from audit.services import audit_record
from cases.models import CaseMember
from evidence.models import CustodyEvent, EvidenceItem, FixityCheck, StoredBlob
from evidence.storage import sha256_of_stored

Kind = CustodyEvent.Kind


def fixity_check(blob: StoredBlob) -> FixityCheck:
    """Re-hashes a stored file (streaming) and records the result; a failure notifies the
    leads of every case holding the file and is audited.

    The bytes must hash to the SHA-256 the custody chain recorded when each file of these
    bytes was attached, not only to the blob's own ``sha256``: rewriting the bytes and that
    column together is named too."""
    try:
        computed, error = sha256_of_stored(blob.storage_name), ""
    except OSError as exc:
        computed, error = "", f"{type(exc).__name__}: cannot read the stored file"
    ok = computed == blob.sha256
    unlike = sorted(
        f"{exhibit} #{seq}"
        for exhibit, seq, recorded in CustodyEvent.objects.filter(
            kind=Kind.FILE_ATTACHED, file__blob=blob
        ).values_list("item__exhibit", "seq", "file_sha256")
        if recorded != computed
    )
    if ok and unlike:
        ok = False
        error = f"differs from the SHA-256 the custody chain recorded: {', '.join(unlike)}"[:500]
    with transaction.atomic():
        check = FixityCheck.objects.create(blob=blob, ok=ok, computed_sha256=computed, error=error)
        StoredBlob.objects.filter(pk=blob.pk).update(
            last_fixity_at=check.checked_at, last_fixity_ok=ok
        )
        if not ok:
            for file in blob.files.select_related("item__case"):
                audit_record(
                    actor=None,
                    action="evidence.fixity_failed",
                    target=file.item,
                    details={"sha256": blob.sha256, "computed": computed},
                )
                leads = User.objects.filter(
                    case_memberships__case=file.item.case_id,
                    case_memberships__role=CaseMember.Role.LEAD,
                )
                for lead in leads:
                    notification_send(
                        user=lead,
                        title=gettext_lazy("An evidence file failed its integrity check"),
                        url=reverse("evidence:integrity", args=[file.item.case_id]),
                    )
    return check


@transaction.atomic
def item_fixity_request(*, item: EvidenceItem, actor: User) -> None:
    """ "Verify now": the request is audited, and the re-hash of the item's files is queued once
    it commits (``item_fixity_verify`` in a worker)."""
    from evidence.tasks import verify_item_fixity  # the task calls back into this module

    audit_record(actor=actor, action="evidence.fixity_requested", target=item)
    # What ``delay_on_commit`` does, spelled out: the typed Task of celery's stubs lacks it.
    transaction.on_commit(partial(verify_item_fixity.delay, item.pk))


def item_fixity_verify(item_id: int) -> int:
    """ "Verify now" for one item: re-hashes each of its stored files; how many."""
    blobs = list(StoredBlob.objects.filter(files__item_id=item_id).distinct())
    for blob in blobs:
        fixity_check(blob)
    return len(blobs)


def fixity_batch_check(blob_ids: list[int]) -> int:
    """Re-hashes the stored files ``blob_ids`` (a batch of the sweep)."""
    for blob in StoredBlob.objects.filter(pk__in=blob_ids):
        fixity_check(blob)
    return len(blob_ids)


# A file checked in the last ``SWEEP_AGE`` is not checked again by the nightly sweep, which
# queues the others in batches of ``SWEEP_BATCH``.
SWEEP_AGE = timedelta(hours=20)
SWEEP_BATCH = 200


def fixity_due_batches() -> list[list[int]]:
    """The stored files the nightly sweep re-hashes (not checked in the last day, the
    never-checked and the oldest first), as batches of ids."""
    since = timezone.now() - SWEEP_AGE
    ids = list(
        StoredBlob.objects.filter(Q(last_fixity_at__isnull=True) | Q(last_fixity_at__lt=since))
        .order_by(F("last_fixity_at").asc(nulls_first=True))
        .values_list("pk", flat=True)
    )
    return [ids[start : start + SWEEP_BATCH] for start in range(0, len(ids), SWEEP_BATCH)]

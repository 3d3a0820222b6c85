"""Fixity: re-hashing stored evidence files. Tasks take ids; a check is idempotent."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import F, Q
from django.utils import timezone

from evidence.models import EvidenceItem, StoredBlob
from evidence.services import fixity_check

SWEEP_BATCH = 200


@shared_task(name="evidence.tasks.verify_item_fixity", acks_late=True, ignore_result=True)
def verify_item_fixity(item_id: int) -> int:
    """ "Verify now" for one item: re-hashes each of its stored files."""
    item = EvidenceItem.objects.filter(pk=item_id).first()
    if item is None:
        return 0
    blobs = StoredBlob.objects.filter(files__item=item).distinct()
    for blob in blobs:
        fixity_check(blob)
    return blobs.count()


@shared_task(name="evidence.tasks.fixity_batch", acks_late=True, ignore_result=True)
def fixity_batch(blob_ids: list[int]) -> int:
    for blob in StoredBlob.objects.filter(pk__in=blob_ids):
        fixity_check(blob)
    return len(blob_ids)


@shared_task(name="evidence.tasks.fixity_sweep", acks_late=True, ignore_result=True)
def fixity_sweep() -> int:
    """Nightly (beat): queues every stored file not checked in the last day, in batches."""
    since = timezone.now() - timedelta(hours=20)
    ids = list(
        StoredBlob.objects.filter(Q(last_fixity_at__isnull=True) | Q(last_fixity_at__lt=since))
        .order_by(F("last_fixity_at").asc(nulls_first=True))
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), SWEEP_BATCH):
        fixity_batch.delay(ids[start : start + SWEEP_BATCH])
    return len(ids)

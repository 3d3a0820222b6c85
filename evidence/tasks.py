"""Fixity: re-hashing stored evidence files. Tasks take ids and call ``evidence.services.fixity``;
a check is idempotent."""

from __future__ import annotations

from celery import shared_task

from evidence.services import fixity


@shared_task(name="evidence.tasks.verify_item_fixity", acks_late=True, ignore_result=True)
def verify_item_fixity(item_id: int) -> int:
    """ "Verify now" for one item: re-hashes each of its stored files."""
    return fixity.item_fixity_verify(item_id)


@shared_task(name="evidence.tasks.fixity_batch", acks_late=True, ignore_result=True)
def fixity_batch(blob_ids: list[int]) -> int:
    return fixity.fixity_batch_check(blob_ids)


@shared_task(name="evidence.tasks.fixity_sweep", acks_late=True, ignore_result=True)
def fixity_sweep() -> int:
    """Nightly (beat): queues every stored file not checked in the last day, in batches."""
    batches = fixity.fixity_due_batches()
    for ids in batches:
        fixity_batch.delay(ids)
    return sum(len(ids) for ids in batches)

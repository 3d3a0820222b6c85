from __future__ import annotations

from celery import shared_task

from audit.services import audit_seal


@shared_task(name="audit.tasks.seal_audit_chain", acks_late=True, ignore_result=True)
def seal_audit_chain() -> int:
    """Periodic (beat): links newly committed audit rows into the hash chain."""
    return audit_seal()

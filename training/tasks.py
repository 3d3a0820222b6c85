"""Rendering of certificates. Tasks take ids; a second delivery of a claimed job does nothing."""

from __future__ import annotations

from celery import shared_task

from custos import jobs
from training import certificate_rendering


@shared_task(
    name="training.tasks.render_certificate",
    autoretry_for=(Exception,),
    **jobs.CERTIFICATE.task_options(),
)
def render_certificate(certificate_id: int) -> None:
    """Renders one certificate to PDF and stores it with its SHA-256."""
    certificate_rendering.certificate_render(certificate_id)


@shared_task(name="training.tasks.requeue_stuck_certificates", acks_late=True)
def requeue_stuck_certificates() -> int:
    """Periodic: certificates whose worker died mid-render are queued again."""
    return jobs.requeue_stuck(certificate_rendering.CERTIFICATE_JOB, render_certificate.delay)

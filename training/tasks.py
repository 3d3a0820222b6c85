"""Rendering of certificates. Tasks take ids; a second delivery of a claimed job does nothing."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from custos.files import FileOnDisk
from training.models import Certificate

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(hours=1)


@shared_task(
    name="training.tasks.render_certificate",
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=MAX_ATTEMPTS - 1,
    soft_time_limit=settings.CUSTOS_REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.CUSTOS_REPORT_TIME_LIMIT,
)
def render_certificate(self, certificate_id: int) -> None:
    """Renders one certificate to PDF and stores it with its SHA-256."""
    from training.pdf import certificate_pdf

    claimed = Certificate.objects.filter(
        pk=certificate_id,
        status__in=[Certificate.Status.PENDING, Certificate.Status.FAILED],
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        status=Certificate.Status.RENDERING,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return  # rendered, being rendered, or given up
    certificate = Certificate.objects.select_related(
        "application__applicant", "application__session__course"
    ).get(pk=certificate_id)
    temp_path = ""
    try:
        pdf = certificate_pdf(certificate)
        os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, exist_ok=True)
        handle, temp_path = tempfile.mkstemp(suffix=".pdf", dir=settings.FILE_UPLOAD_TEMP_DIR)
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
        with open(temp_path, "rb") as rendered:
            certificate.pdf.save(
                f"{certificate.code}.pdf", FileOnDisk(rendered, name=temp_path), save=False
            )
    except Exception as exc:
        Certificate.objects.filter(pk=certificate_id).update(
            status=Certificate.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.warning("certificate %s: rendering failed", certificate_id, exc_info=True)
        raise
    finally:
        if temp_path and os.path.exists(temp_path):
            os.unlink(temp_path)
    Certificate.objects.filter(pk=certificate_id).update(
        status=Certificate.Status.READY,
        pdf=certificate.pdf.name,
        sha256=hashlib.sha256(pdf).hexdigest(),
        error="",
    )


@shared_task(name="training.tasks.requeue_stuck_certificates", acks_late=True)
def requeue_stuck_certificates() -> int:
    """Periodic: certificates whose worker died mid-render are queued again."""
    stale = timezone.now() - STUCK_AFTER
    Certificate.objects.filter(status=Certificate.Status.RENDERING, claimed_at__lt=stale).update(
        status=Certificate.Status.PENDING
    )
    ids = list(
        Certificate.objects.filter(
            status=Certificate.Status.PENDING, attempts__lt=MAX_ATTEMPTS, issued_at__lt=stale
        ).values_list("pk", flat=True)[:200]
    )
    for pk in ids:
        render_certificate.delay(pk)
    return len(ids)

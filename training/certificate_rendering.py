"""The PDF of a certificate, rendered by a worker (training/tasks.py) as a job of custos.jobs.

The row carries the state: a second delivery of a claimed job does nothing; a failed render
says why on the row and is tried again (by Celery's retry) until its attempts are used up.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile

from django.conf import settings

from custos import jobs
from custos.files import FileOnDisk
from training.models import Certificate

logger = logging.getLogger(__name__)

CERTIFICATE_JOB = jobs.JobKind(
    model=Certificate,
    limits=jobs.CERTIFICATE,
    pending=Certificate.Status.PENDING,
    running=Certificate.Status.RENDERING,
    failed=Certificate.Status.FAILED,
    # A failed render is claimed again by Celery's retry of the same message.
    claimable=(Certificate.Status.PENDING, Certificate.Status.FAILED),
    queued_at_field="issued_at",
)


def certificate_render(certificate_id: int) -> None:
    """Renders one certificate to PDF and stores it with its SHA-256.

    Raises what the rendering raised (after recording it on the row), so that the task
    retries; returns when it is rendered, or was not this worker's to render."""
    from training.pdf import certificate_pdf

    if not jobs.claim(CERTIFICATE_JOB, certificate_id):
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
        jobs.fail(CERTIFICATE_JOB, certificate_id, error=f"{type(exc).__name__}: {exc}"[:2000])
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

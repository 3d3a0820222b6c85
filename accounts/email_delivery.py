"""The e-mail of a notification, sent by a worker (accounts/tasks.py) as a job of custos.jobs.

The row carries the state: a second delivery of the same message finds nothing to claim, a
failed send is tried again until its attempts are used up, then the row says FAILED and the
in-app notification remains.
"""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Notification
from custos import jobs

logger = logging.getLogger(__name__)

# Sends of one e-mail are counted on its row (Celery's retry count restarts when the sweep
# re-queues a message, the row's does not).
EMAIL_JOB = jobs.JobKind(
    model=Notification,
    limits=jobs.NOTIFICATION_EMAIL,
    status_field="email_status",
    pending=Notification.EmailStatus.PENDING,
    running=Notification.EmailStatus.SENDING,
    failed=Notification.EmailStatus.FAILED,
    claimed_at_field="email_claimed_at",
    attempts_field="email_attempts",
    queued_at_field="created_at",
)
# Errors after which a send is tried again (the relay is down, the connection dropped).
TRANSIENT_ERRORS = (SMTPException, OSError)


def _send(notification: Notification) -> None:
    user = notification.user
    with override(user.preferred_language):
        context = {
            "notification": notification,
            "user": user,
            "link": f"{settings.CUSTOS_BASE_URL}{notification.url}" if notification.url else "",
        }
        send_mail(
            subject=render_to_string("accounts/email/notification_subject.txt", context).strip(),
            message=render_to_string("accounts/email/notification_body.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )


def notification_email_send(notification_id: int) -> None:
    """Sends a notification's e-mail once, in its recipient's language.

    Raises one of ``TRANSIENT_ERRORS`` when the send failed and will be tried again; returns
    when it is sent, was not this worker's to send, or has been given up."""
    if not jobs.claim(EMAIL_JOB, notification_id):
        return  # already sent, being sent, or never requested
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    try:
        _send(notification)
    except TRANSIENT_ERRORS:
        final = jobs.exhausted(EMAIL_JOB, notification.email_attempts)
        if final:
            jobs.fail(EMAIL_JOB, notification_id)
        else:
            jobs.release(EMAIL_JOB, notification_id)
        logger.warning(
            "notification %s: e-mail failed (attempt %s)",
            notification_id,
            notification.email_attempts,
        )
        if final:
            return  # given up: the row says FAILED, and the in-app notification remains
        raise
    Notification.objects.filter(pk=notification_id).update(
        email_status=Notification.EmailStatus.SENT, emailed_at=timezone.now()
    )

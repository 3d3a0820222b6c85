"""E-mail for notifications. Tasks take ids, never content; a second delivery does nothing."""

from __future__ import annotations

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Notification

logger = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=15)
# Sends of one e-mail, counted on its row (Celery's retry count restarts when the periodic job
# re-queues a message, the row's does not).
MAX_ATTEMPTS = 6


@shared_task(
    name="accounts.tasks.send_notification_email",
    bind=True,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=MAX_ATTEMPTS - 1,
)
def send_notification_email(self, notification_id: int) -> None:
    claimed = Notification.objects.filter(
        pk=notification_id,
        email_status=Notification.EmailStatus.PENDING,
        email_attempts__lt=MAX_ATTEMPTS,
    ).update(
        email_status=Notification.EmailStatus.SENDING,
        email_claimed_at=timezone.now(),
        email_attempts=F("email_attempts") + 1,
    )
    if not claimed:
        return  # already sent, being sent, or never requested
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    user = notification.user
    try:
        with override(user.preferred_language):
            context = {
                "notification": notification,
                "user": user,
                "link": f"{settings.CUSTOS_BASE_URL}{notification.url}" if notification.url else "",
            }
            send_mail(
                subject=render_to_string(
                    "accounts/email/notification_subject.txt", context
                ).strip(),
                message=render_to_string("accounts/email/notification_body.txt", context),
                from_email=None,
                recipient_list=[user.email],
            )
    except (SMTPException, OSError):
        final = notification.email_attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            email_status=(
                Notification.EmailStatus.FAILED if final else Notification.EmailStatus.PENDING
            )
        )
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


@shared_task(name="accounts.tasks.requeue_stuck_notification_emails", acks_late=True)
def requeue_stuck_notification_emails() -> int:
    """Periodic (beat): e-mails whose worker died mid-send, or never queued, are queued again."""
    stale = timezone.now() - STUCK_AFTER
    Notification.objects.filter(
        email_status=Notification.EmailStatus.SENDING, email_claimed_at__lt=stale
    ).update(email_status=Notification.EmailStatus.PENDING)
    pending = Notification.objects.filter(
        email_status=Notification.EmailStatus.PENDING, created_at__lt=stale
    )
    pending.filter(email_attempts__gte=MAX_ATTEMPTS).update(
        email_status=Notification.EmailStatus.FAILED
    )
    ids = list(pending.filter(email_attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)[:500])
    for pk in ids:
        send_notification_email.delay(pk)
    return len(ids)

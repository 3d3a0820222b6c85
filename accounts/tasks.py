"""E-mail for notifications. Tasks take ids, never content; a second delivery does nothing."""

from __future__ import annotations

from celery import shared_task

from accounts import email_delivery
from custos import jobs


@shared_task(
    name="accounts.tasks.send_notification_email",
    autoretry_for=email_delivery.TRANSIENT_ERRORS,
    **jobs.NOTIFICATION_EMAIL.task_options(),
)
def send_notification_email(notification_id: int) -> None:
    email_delivery.notification_email_send(notification_id)


@shared_task(name="accounts.tasks.requeue_stuck_notification_emails", acks_late=True)
def requeue_stuck_notification_emails() -> int:
    """Periodic (beat): e-mails whose worker died mid-send, or never queued, are queued again."""
    return jobs.requeue_stuck(email_delivery.EMAIL_JOB, send_notification_email.delay)

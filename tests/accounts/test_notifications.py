"""Notifications: listed in the app with an unread count, e-mailed by a worker."""

from __future__ import annotations

from smtplib import SMTPException

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.test import Client
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Notification, User
from accounts.tasks import (
    requeue_stuck_notification_emails,
    send_notification_email,
)
from tests.conftest import audit_actions


def test_notify_queues_the_email_only_after_commit(
    investigator: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        notification = services.notification_send(
            user=investigator, title="Custody transfer awaits you", url="/accounts/notifications/"
        )
    assert len(callbacks) == 1  # the e-mail task is enqueued on commit, carrying only the id
    assert notification.email_status == Notification.EmailStatus.PENDING
    assert "notification.sent" in audit_actions()


def test_the_email_task_sends_once_in_the_recipients_language(investigator: User) -> None:
    investigator.preferred_language = "fr"
    investigator.save()
    notification = services.notification_send(
        user=investigator, title=_("Two-factor authentication is on.")
    )
    send_notification_email.run(notification.pk)
    send_notification_email.run(notification.pk)  # a second delivery of the same message
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [investigator.email]
    assert "[Custos]" in message.subject
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT
    assert notification.emailed_at is not None


def test_a_failed_send_is_retried_later(investigator: User, monkeypatch) -> None:
    notification = services.notification_send(user=investigator, title="Package ready")

    def broken(*args: object, **kwargs: object) -> None:
        raise SMTPException("relay down")

    monkeypatch.setattr("accounts.email_delivery.send_mail", broken)
    # Outside a worker, Celery's retry would re-run at once; here it only reports the retry.
    monkeypatch.setattr(send_notification_email, "retry", lambda *a, exc=None, **k: Retry(exc=exc))
    with pytest.raises(Retry):
        send_notification_email.run(notification.pk)
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.PENDING
    assert notification.email_attempts == 1
    monkeypatch.undo()
    send_notification_email.run(notification.pk)
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT


def test_stuck_emails_are_requeued(investigator: User, monkeypatch) -> None:
    from datetime import timedelta

    from django.utils import timezone

    notification = services.notification_send(user=investigator, title="Stuck")
    Notification.objects.filter(pk=notification.pk).update(
        email_status=Notification.EmailStatus.SENDING,
        email_claimed_at=timezone.now() - timedelta(hours=1),
        created_at=timezone.now() - timedelta(hours=1),
    )
    queued: list[int] = []
    monkeypatch.setattr(send_notification_email, "delay", queued.append)
    assert requeue_stuck_notification_emails.run() == 1
    assert queued == [notification.pk]
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.PENDING


def test_users_without_email_get_only_the_in_app_notification(investigator: User) -> None:
    investigator.email = ""
    investigator.save()
    notification = services.notification_send(user=investigator, title="No mail")
    assert notification.email_status == Notification.EmailStatus.NOT_REQUESTED


def test_unread_count_and_marking_read(client: Client, investigator: User) -> None:
    for n in range(3):
        services.notification_send(user=investigator, title=f"Message {n}", email=False)
    client.force_login(investigator)
    html = client.get("/").content.decode()
    assert "3 unread notifications" in html
    assert "Message 2" in html
    first = Notification.objects.filter(user=investigator).earliest("id")
    client.post(f"/accounts/notifications/{first.pk}/read/")
    assert "2 unread notifications" in client.get("/").content.decode()
    assert "notification.read" in audit_actions(actor=investigator)
    response = client.post("/accounts/notifications/read-all/", follow=True)
    assert "2 notifications marked as read." in response.content.decode()
    assert not Notification.objects.filter(user=investigator, read_at__isnull=True).exists()


def test_opening_a_notification_follows_its_link(client: Client, investigator: User) -> None:
    notification = services.notification_send(
        user=investigator, title="See profile", url="/accounts/profile/", email=False
    )
    client.force_login(investigator)
    response = client.post(f"/accounts/notifications/{notification.pk}/read/", {"open": "1"})
    assert response["Location"] == "/accounts/profile/"


def test_an_email_that_keeps_failing_is_given_up_after_the_last_attempt(
    investigator: User, monkeypatch
) -> None:
    from accounts.email_delivery import EMAIL_JOB

    notification = services.notification_send(user=investigator, title="Never delivered")
    Notification.objects.filter(pk=notification.pk).update(
        email_attempts=EMAIL_JOB.limits.max_attempts - 1
    )

    def broken(*args: object, **kwargs: object) -> None:
        raise SMTPException("relay down")

    monkeypatch.setattr("accounts.email_delivery.send_mail", broken)
    send_notification_email.run(notification.pk)  # no retry is scheduled
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.FAILED
    assert notification.email_attempts == EMAIL_JOB.limits.max_attempts
    assert investigator.notifications.filter(pk=notification.pk).exists()  # still in the app

"""custos.jobs: one claim, lease and sweep for every kind of background job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from accounts.email_delivery import EMAIL_JOB
from accounts.models import Notification, User
from custos import jobs
from training.certificate_rendering import CERTIFICATE_JOB

pytestmark = pytest.mark.django_db

KINDS: dict[str, jobs.JobKind[Any]] = {
    "notification e-mail": EMAIL_JOB,
    "certificate": CERTIFICATE_JOB,
}
# The periodic sweep of each kind of job (partners' packages declare theirs with the same limits).
SWEEPS = {
    "accounts.tasks.requeue_stuck_notification_emails": jobs.NOTIFICATION_EMAIL,
    "training.tasks.requeue_stuck_certificates": jobs.CERTIFICATE,
    "partners.tasks.requeue_stuck_packages": jobs.PACKAGE,
}


def _email(user: User, **fields: object) -> Notification:
    return Notification.objects.create(
        user=user, title="Custody transfer", **{"email_status": "pending", **fields}
    )


def test_a_job_is_claimed_once_and_each_claim_counts_an_attempt(investigator: User) -> None:
    notification = _email(investigator)
    assert jobs.claim(EMAIL_JOB, notification.pk)
    assert not jobs.claim(EMAIL_JOB, notification.pk)  # a second delivery does nothing
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENDING
    assert notification.email_attempts == 1
    assert notification.email_claimed_at is not None


def test_a_released_job_is_claimed_again_until_its_attempts_are_used_up(
    investigator: User,
) -> None:
    notification = _email(investigator)
    for _ in range(jobs.NOTIFICATION_EMAIL.max_attempts):
        assert jobs.claim(EMAIL_JOB, notification.pk)
        assert jobs.release(EMAIL_JOB, notification.pk)
    assert not jobs.claim(EMAIL_JOB, notification.pk)
    notification.refresh_from_db()
    assert notification.email_attempts == jobs.NOTIFICATION_EMAIL.max_attempts
    assert jobs.exhausted(EMAIL_JOB, notification.email_attempts)


def test_the_sweep_frees_dead_claims_requeues_lost_messages_and_gives_up_exhausted_jobs(
    investigator: User,
) -> None:
    beyond = timezone.now() - jobs.NOTIFICATION_EMAIL.lease - timedelta(minutes=1)
    within = timezone.now() - jobs.NOTIFICATION_EMAIL.lease + timedelta(minutes=1)
    dead = _email(
        investigator,
        email_status=Notification.EmailStatus.SENDING,
        email_claimed_at=beyond,
        email_attempts=1,
        created_at=beyond,
    )
    alive = _email(
        investigator,
        email_status=Notification.EmailStatus.SENDING,
        email_claimed_at=within,
        created_at=beyond,
    )
    lost = _email(investigator, created_at=beyond)
    fresh = _email(investigator)  # its message is still on its way
    spent = _email(
        investigator, created_at=beyond, email_attempts=jobs.NOTIFICATION_EMAIL.max_attempts
    )
    queued: list[int] = []
    assert jobs.requeue_stuck(EMAIL_JOB, queued.append) == 2
    assert sorted(queued) == sorted([dead.pk, lost.pk])
    status = dict(Notification.objects.values_list("pk", "email_status"))
    assert status[dead.pk] == Notification.EmailStatus.PENDING
    assert status[alive.pk] == Notification.EmailStatus.SENDING
    assert status[fresh.pk] == Notification.EmailStatus.PENDING
    assert status[spent.pk] == Notification.EmailStatus.FAILED


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_claim_outlives_the_task_that_holds_it(kind: str) -> None:
    limits = KINDS[kind].limits
    assert 0 < limits.soft_time_limit < limits.time_limit
    assert limits.lease > timedelta(seconds=limits.time_limit)  # Celery has killed it by then


@pytest.mark.parametrize("task", sorted(SWEEPS))
def test_a_stalled_job_is_retried_within_minutes(task: str) -> None:
    """Each sweep runs at least every ten minutes, so a job whose worker died is queued again
    within its lease and ten minutes, and a request made while the broker was down too."""
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task]
    often = {n: crontab(minute=f"*/{n}") for n in (1, 2, 5, 10)}
    [interval] = [timedelta(minutes=n) for n, every in often.items() if entry["schedule"] == every]
    assert SWEEPS[task].lease + interval <= timedelta(minutes=45)


def test_tasks_take_their_time_limits_and_retries_from_the_limits_table() -> None:
    from accounts.tasks import send_notification_email
    from training.tasks import render_certificate

    for task, limits in [
        (send_notification_email, jobs.NOTIFICATION_EMAIL),
        (render_certificate, jobs.CERTIFICATE),
    ]:
        assert task.acks_late
        assert task.time_limit == limits.time_limit
        assert task.soft_time_limit == limits.soft_time_limit
        assert task.max_retries == limits.max_attempts - 1


def test_a_heartbeat_renews_the_lease_of_a_running_job_only(investigator: User) -> None:
    notification = _email(investigator)
    assert not jobs.renew(EMAIL_JOB, notification.pk)  # not claimed: nothing to renew
    assert jobs.claim(EMAIL_JOB, notification.pk)
    long_ago = timezone.now() - jobs.NOTIFICATION_EMAIL.lease - timedelta(minutes=1)
    Notification.objects.filter(pk=notification.pk).update(email_claimed_at=long_ago)
    assert jobs.stuck(EMAIL_JOB).filter(pk=notification.pk).exists()
    assert jobs.renew(EMAIL_JOB, notification.pk)
    assert not jobs.stuck(EMAIL_JOB).filter(pk=notification.pk).exists()

"""Background jobs: claim, lease, stuck-sweep and re-queue, for every kind of job in one place.

A *job* is a row (a notification's e-mail, a certificate, a case package, one part of a
package) whose status a worker moves along. Celery only carries the row's id; the row is the
truth. Every kind follows the same life, so every kind uses the functions below rather than
its own copy of them (NetBox's single ``Job`` abstraction)::

    pending ──claim──▶ running ──▶ done            (the kind's own final status)
       ▲                  │
       └──── release ─────┤  the work failed and will be tried again
       └─ sweep_stuck ────┘  the worker died: its lease ran out
    pending ─sweep_stuck─▶ failed                  (attempts used up)

The rules
---------
- **Claim** with a conditional UPDATE (:func:`claim`): a row moves from one of the kind's
  claimable statuses to *running*, stamps its claim time and counts one attempt. Exactly one
  of two deliveries of the same message wins; the other does nothing.
- **Lease**: a claim holds for the kind's :attr:`Limits.lease`, the task's hard time limit
  plus a margin. Celery kills a task at its hard time limit, so a row still *running* after
  its lease has no live worker (SIGKILL, lost machine, OOM). A job made of steps renews its
  lease after each one (:func:`renew`, a heartbeat: case packages do so after each part).
- **Sweep** (:func:`sweep_stuck`, run by Celery beat every few minutes for each kind): rows
  running past their lease go back to *pending*; pending rows older than the lease (their
  message was lost, or the broker was down when they were requested) are queued again, or
  marked *failed* when their attempts are used up. A stalled job is therefore retried
  within its lease plus the beat interval (``CELERY_BEAT_SCHEDULE`` in custos/settings.py;
  tests/test_jobs.py checks that the two fit).
- **Limits** (time limits, attempts, retries, lease, batch) are the constants at the end of
  this module, derived from the settings, and nowhere else. The tasks take their Celery
  options from them (:meth:`Limits.task_options`).

Usage
-----
A kind is declared as a :class:`JobKind` next to the worker service that does its work (the
model belongs to its app); the service starts with ``if not jobs.claim(KIND, pk): return``,
and its task is a wrapper of one line with the options of ``jobs.<LIMITS>.task_options()``.
The periodic sweep of a kind that only re-queues is one line:
``jobs.requeue_stuck(KIND, task.delay)``. The certificates are the smallest complete example:
``CERTIFICATE_JOB`` and ``certificate_render`` in training/certificate_rendering.py, and
training/tasks.py.

A kind whose sweep does more than re-queue (a package resets its unfinished parts, writes an
audit row and tells people when it gives up) composes the same pieces instead of calling
:func:`sweep_stuck`::

    late = jobs.stuck(PACKAGE_JOB) | jobs.overdue(PACKAGE_JOB)
    for package in late[: jobs.PACKAGE.batch]:
        if jobs.exhausted(PACKAGE_JOB, package.attempts):
            package_render_failed(package.pk, ...)  # its audit row, and it tells people
            continue
        # unfinished parts: jobs.stuck(PACKAGE_PART_JOB).filter(package=package) → pending;
        # the package → pending, its audit row, render_package.delay_on_commit(package.pk)

(``stuck(kind)`` is *running past the lease*, ``overdue(kind)`` is *pending past the lease*;
both are plain querysets.) A claim with conditions beyond the status is
``jobs.claim(PACKAGE_PART_JOB, part_id, package__status=Package.Status.RENDERING)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Limits:
    """How long one kind of job may run, how often it is tried, and when it counts as stuck."""

    soft_time_limit: int  # seconds: the task is told to stop (SoftTimeLimitExceeded)
    time_limit: int  # seconds: the worker process is killed
    max_attempts: int  # claims of one row, counted on the row (survives re-queueing)
    retry_backoff: int  # seconds: Celery's first retry delay, doubling up to the next one
    retry_backoff_max: int
    margin: timedelta = timedelta(minutes=5)  # clock skew, a slow database, a busy machine
    batch: int = 200  # rows re-queued by one sweep; the next sweep takes the rest
    # Celery retries of one message; None: until the row's attempts are used up.
    retries: int | None = None

    @property
    def lease(self) -> timedelta:
        """How long a claim holds: past it, no worker can still be running the job."""
        return timedelta(seconds=self.time_limit) + self.margin

    def task_options(self) -> dict[str, Any]:
        """Options for ``@shared_task``: late acknowledgement, time limits and retries."""
        return {
            "acks_late": True,
            "soft_time_limit": self.soft_time_limit,
            "time_limit": self.time_limit,
            "retry_backoff": self.retry_backoff,
            "retry_backoff_max": self.retry_backoff_max,
            "max_retries": self.max_attempts - 1 if self.retries is None else self.retries,
        }


@dataclass(frozen=True)
class JobKind(Generic[M]):
    """One kind of job: its model, the fields and values that carry its state, its limits."""

    model: type[M]
    limits: Limits
    pending: str
    running: str
    failed: str
    # Statuses a worker may claim from (a failed certificate is claimed by Celery's retry).
    claimable: tuple[str, ...] = ()
    status_field: str = "status"
    claimed_at_field: str = "claimed_at"
    attempts_field: str = "attempts"
    # When a pending row was asked for: past the lease, its message is presumed lost.
    queued_at_field: str = "claimed_at"
    # Whether the claim is refused once the attempts are used up (parts of a package are
    # bounded by Celery's retries instead, and by their package's attempts).
    bounded: bool = True

    @property
    def claim_from(self) -> tuple[str, ...]:
        return self.claimable or (self.pending,)

    def rows(self) -> models.QuerySet[M]:
        return self.model._default_manager.all()


def claim(kind: JobKind[M], pk: int, **conditions: Any) -> bool:
    """Moves the row to *running* if it is claimable, stamping the claim and counting one
    attempt; returns whether this caller won. ``conditions`` narrow the claim further."""
    filters: dict[str, Any] = {
        "pk": pk,
        f"{kind.status_field}__in": kind.claim_from,
        **conditions,
    }
    if kind.bounded:
        filters[f"{kind.attempts_field}__lt"] = kind.limits.max_attempts
    updated = (
        kind.rows()
        .filter(**filters)
        .update(
            **{
                kind.status_field: kind.running,
                kind.claimed_at_field: timezone.now(),
                kind.attempts_field: F(kind.attempts_field) + 1,
            }
        )
    )
    return updated > 0


def renew(kind: JobKind[M], pk: int, **fields: Any) -> bool:
    """A heartbeat: a running job's lease starts again (with ``fields`` updated, e.g. its
    progress); returns False when the job is no longer running (revoked, given up)."""
    updated = (
        kind.rows()
        .filter(pk=pk, **{kind.status_field: kind.running})
        .update(**{kind.claimed_at_field: timezone.now(), **fields})
    )
    return updated > 0


def release(kind: JobKind[M], pk: int, **fields: Any) -> bool:
    """A running job that failed and will be tried again goes back to *pending*."""
    updated = (
        kind.rows()
        .filter(pk=pk, **{kind.status_field: kind.running})
        .update(**{kind.status_field: kind.pending, **fields})
    )
    return updated > 0


def fail(kind: JobKind[M], pk: int, **fields: Any) -> None:
    """The job is given up: its row says *failed* (``fields`` may say why)."""
    kind.rows().filter(pk=pk).update(**{kind.status_field: kind.failed, **fields})


def exhausted(kind: JobKind[M], attempts: int) -> bool:
    """Whether a row with this many attempts may not be claimed again."""
    return attempts >= kind.limits.max_attempts


def lease_cutoff(kind: JobKind[M], now: datetime | None = None) -> datetime:
    """Claims (and requests) older than this have outlived the kind's lease."""
    return (now or timezone.now()) - kind.limits.lease


def stuck(kind: JobKind[M], now: datetime | None = None) -> models.QuerySet[M]:
    """Rows running past their lease: their worker died."""
    return kind.rows().filter(
        **{
            kind.status_field: kind.running,
            f"{kind.claimed_at_field}__lt": lease_cutoff(kind, now),
        }
    )


def overdue(kind: JobKind[M], now: datetime | None = None) -> models.QuerySet[M]:
    """Rows pending for longer than a lease: their message was lost or never sent."""
    return kind.rows().filter(
        **{
            kind.status_field: kind.pending,
            f"{kind.queued_at_field}__lt": lease_cutoff(kind, now),
        }
    )


@dataclass(frozen=True)
class Sweep:
    """What one sweep did: rows released from a dead worker, given up, and to queue again."""

    released: int
    failed: int
    requeue: list[int]


def sweep_stuck(kind: JobKind[M]) -> Sweep:
    """Running past the lease → pending; pending past the lease → queued again, or failed
    when its attempts are used up. Returns the ids to queue (at most ``limits.batch``)."""
    now = timezone.now()
    released = stuck(kind, now).update(**{kind.status_field: kind.pending})
    late = overdue(kind, now)
    attempts_used = {f"{kind.attempts_field}__gte": kind.limits.max_attempts}
    failed = late.filter(**attempts_used).update(**{kind.status_field: kind.failed})
    ids = list(
        late.exclude(**attempts_used)
        .order_by("pk")
        .values_list("pk", flat=True)[: kind.limits.batch]
    )
    return Sweep(released=released, failed=failed, requeue=ids)


def requeue_stuck(kind: JobKind[M], enqueue: Callable[[int], object]) -> int:
    """The periodic job of a kind: sweeps it and queues what is due; returns how many."""
    ids = sweep_stuck(kind).requeue
    for pk in ids:
        enqueue(pk)
    return len(ids)


# --- The limits of every kind of job ---------------------------------------------------------
# A notification e-mail runs under the default task limits; one SMTP exchange takes seconds.
NOTIFICATION_EMAIL = Limits(
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    max_attempts=6,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    margin=timedelta(minutes=3),
    batch=500,
)
# PDF rendering runs on the reports queue under the report limits.
CERTIFICATE = Limits(
    soft_time_limit=settings.CUSTOS_REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.CUSTOS_REPORT_TIME_LIMIT,
    max_attempts=5,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
)
# A case package (planning and merging) and each of its parts; a package's attempts are its
# claims by the planner, each part's message has its own Celery retries.
PACKAGE = Limits(
    soft_time_limit=settings.CUSTOS_REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.CUSTOS_REPORT_TIME_LIMIT,
    max_attempts=5,
    retry_backoff=15,
    retry_backoff_max=10 * 60,
    retries=3,
)

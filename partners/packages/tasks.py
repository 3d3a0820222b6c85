"""Case package rendering on the ``reports`` queue. Each task takes an id and runs one step of
``partners.packages.worker``, which claims its work with a conditional update: a redelivered
message finds nothing to claim and does nothing.

The task names keep the ``partners.tasks.`` prefix under which they were first queued (the
routes, the beat schedule and any message still in a queue name them so).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task, shared_task

from custos import jobs
from partners.packages import worker

logger = logging.getLogger(__name__)

# Late acknowledgement, the report time limits and the retries: custos.jobs.PACKAGE.
_ROBUST = {"bind": True, "autoretry_for": (Exception,), **jobs.PACKAGE.task_options()}


def _run(
    task: Task[Any, Any],
    step: Callable[[int], None],
    failed: Callable[[int, str], None],
    object_id: int,
) -> None:
    """Runs ``step(object_id)``; when it raises on the last of the task's attempts,
    ``failed(object_id, error)`` records why before the exception goes on (to Celery's retry,
    or to the worker's log)."""
    try:
        step(object_id)
    except Exception as exc:
        logger.warning("%s(%s) failed", task.name, object_id, exc_info=True)
        if task.max_retries is not None and task.request.retries >= task.max_retries:
            failed(object_id, f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="partners.tasks.render_package", **_ROBUST)
def render_package(self: Task[[int], None], package_id: int) -> None:
    """Plans a package's parts and queues them on the reports queue."""
    _run(self, worker.package_render_start, worker.package_render_failed, package_id)


@shared_task(name="partners.tasks.render_package_part", **_ROBUST)
def render_package_part(self: Task[[int], None], part_id: int) -> None:
    """Renders one part of a package (parts of one package run on any free worker)."""
    _run(self, worker.package_part_render, worker.package_part_failed, part_id)


@shared_task(name="partners.tasks.assemble_package", **_ROBUST)
def assemble_package(self: Task[[int], None], package_id: int) -> None:
    """Merges the rendered parts into the signed package."""
    _run(self, worker.package_assemble, worker.package_render_failed, package_id)


@shared_task(name="partners.tasks.requeue_stuck_packages", acks_late=True)
def requeue_stuck_packages() -> int:
    """Periodic: packages whose worker died mid-render are queued again."""
    return worker.packages_requeue_stuck()


@shared_task(name="partners.tasks.expire_packages", acks_late=True)
def expire_packages() -> int:
    """Periodic: packages past their download period expire (their files are removed)."""
    return worker.package_expire_due()

"""Case package rendering. Tasks take ids and call the services, which claim the work with
conditional updates: a redelivered message finds nothing to claim and does nothing."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.conf import settings

from partners import package_services as services

logger = logging.getLogger(__name__)

RETRIES = 3
_ROBUST = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 15,
    "retry_backoff_max": 10 * 60,
    "max_retries": RETRIES,
    "soft_time_limit": settings.CUSTOS_REPORT_SOFT_TIME_LIMIT,
    "time_limit": settings.CUSTOS_REPORT_TIME_LIMIT,
}


def _final(task: Task) -> bool:
    return task.request.retries >= task.max_retries


@shared_task(name="partners.tasks.render_package", **_ROBUST)
def render_package(self, package_id: int) -> None:
    """Plans a package's parts and queues them on the reports queue."""
    try:
        services.package_render_start(package_id)
    except Exception as exc:
        logger.warning("package %s: planning failed", package_id, exc_info=True)
        if _final(self):
            services.package_render_failed(package_id, f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="partners.tasks.render_package_part", **_ROBUST)
def render_package_part(self, part_id: int) -> None:
    """Renders one part of a package (parts of one package run on any free worker)."""
    try:
        services.package_part_render(part_id)
    except Exception as exc:
        logger.warning("package part %s: rendering failed", part_id, exc_info=True)
        if _final(self):
            services.package_part_failed(part_id, f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="partners.tasks.assemble_package", **_ROBUST)
def assemble_package(self, package_id: int) -> None:
    """Merges the rendered parts into the signed package."""
    try:
        services.package_assemble(package_id)
    except Exception as exc:
        logger.warning("package %s: merging failed", package_id, exc_info=True)
        if _final(self):
            services.package_render_failed(package_id, f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="partners.tasks.requeue_stuck_packages", acks_late=True)
def requeue_stuck_packages() -> int:
    """Periodic: packages whose worker died mid-render are queued again."""
    return services.packages_requeue_stuck()


@shared_task(name="partners.tasks.expire_packages", acks_late=True)
def expire_packages() -> int:
    """Periodic: packages past their download period expire (their files are removed)."""
    return services.package_expire_due()

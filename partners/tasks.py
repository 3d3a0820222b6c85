"""Celery's autodiscovery imports ``<app>.tasks``: the partners app's tasks are the package
worker's, in ``partners.packages.tasks`` (their names still start with ``partners.tasks.``)."""

from partners.packages.tasks import (
    assemble_package,
    expire_packages,
    render_package,
    render_package_part,
    requeue_stuck_packages,
)

__all__ = [
    "assemble_package",
    "expire_packages",
    "render_package",
    "render_package_part",
    "requeue_stuck_packages",
]

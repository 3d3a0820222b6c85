"""The steps a package's state shares between the user's actions (``services``) and the
worker (``worker``): lock the row, close the package (its file goes once the transaction
commits), tell the people concerned, and whether the case is still shared for packages."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy

from accounts.models import User
from accounts.services import notification_send
from cases.models import Case
from partners.models import CaseShare, Package
from partners.packages.selectors import named_recipients_of

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)


def _url(package: Package) -> str:
    return reverse("packages:detail", args=[package.pk])


def package_notify(
    users: Iterable[User], title: StrOrPromise, package: Package, *, skip: User | None = None
) -> None:
    """Tells each of ``users`` once (not ``skip``); ``title`` is a lazy translation with a
    ``{ref}`` placeholder for the package's reference, rendered in each one's language."""
    seen: set[int] = set()
    for user in users:
        if user.pk in seen or (skip is not None and user.pk == skip.pk):
            continue
        seen.add(user.pk)
        notification_send(
            user=user, title=format_lazy(title, ref=package.reference), url=_url(package)
        )


def concerned(package: Package) -> list[User]:
    """The requester and the named recipients (not every liaison of the organisation)."""
    return [package.requested_by, *named_recipients_of(package)]


def package_share_in_force(case: Case, organisation_id: int) -> CaseShare | None:
    return (
        CaseShare.objects.for_packages().filter(case=case, organisation_id=organisation_id).first()
    )


def package_lock(package: Package) -> Package:
    return (
        Package.objects.select_for_update()
        .select_related("case", "requested_by")
        .get(pk=package.pk)
    )


def package_close(package: Package, status: str, *, actor: User | None, reason: str) -> None:
    fields = {"status": status, "assembling": False}
    if status == Package.Status.REVOKED:
        fields.update(revoked_at=timezone.now(), revoked_by=actor, revoke_reason=reason)
    Package.objects.filter(pk=package.pk).update(**fields)
    name = package.pdf.name
    if name:
        transaction.on_commit(lambda: file_delete_quietly(name))
    package.refresh_from_db()


def file_delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:  # pragma: no cover - the file is already gone
        logger.warning("package file %s could not be removed", name, exc_info=True)

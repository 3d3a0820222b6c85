"""What the case services share: the permission check, the case lock, and keeping the
case's search document and crime-category flags in step with what it holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import User
from accounts.services import notification_send
from cases import permissions as P
from cases.models import Case, Crime
from cases.search import search_document_for
from cases.selectors import case_permissions, crime_categories_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def require(actor: User, case: Case, perm: str) -> None:
    """403 unless ``actor`` holds ``perm`` on ``case``."""
    if perm not in case_permissions(actor, case):
        raise PermissionDenied


def case_lock(case: Case) -> Case:
    """The case row again, locked until commit: writes to one case happen one at a time."""
    return Case.objects.select_for_update().get(pk=case.pk)


def refresh_search(case: Case) -> None:
    """Stores the case's search document as it now reads (``cases.search``)."""
    Case.objects.filter(pk=case.pk).update(search_document=search_document_for(case))


def refresh_crime_categories(case: Case) -> None:
    """Sets the case's ``alleges_*`` flags from the crimes of the case and its incidents."""
    alleged = crime_categories_for(case)
    flags = {Case.crime_category_flag(c): c in alleged for c in Crime.Category}
    Case.objects.filter(pk=case.pk).update(**flags)
    for name, value in flags.items():
        setattr(case, name, value)


def grant_role(case: Case, user: User, role: str) -> None:
    for perm in P.ROLE_PERMISSIONS[role]:
        assign_perm(f"cases.{perm}", user, case)


def revoke_all(case: Case, user: User) -> None:
    for perm in P.ALL_CASE_PERMISSIONS:
        remove_perm(f"cases.{perm}", user, case)


def changed_fields(instance: Any, data: dict[str, Any], fields: Iterable[str]) -> list[str]:
    """Sets on ``instance`` the values of ``data`` among ``fields`` that differ; returns
    their names (for the audit row)."""
    changed = []
    for name in fields:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    return changed


def notify(users: Iterable[User], title: StrOrPromise, url: str) -> None:
    for user in users:
        notification_send(user=user, title=title, url=url)

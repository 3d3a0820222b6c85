"""What the case pages share: loading a case for a page that changes its content,
recording a read of a page, and rendering a page of a case (its tabs)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from cases import permissions as P
from cases import selectors, services
from cases.frozen import CaseFrozen
from cases.selectors import CaseAccess, PersonRow
from custos.http import AuthenticatedHttpRequest


def content_access(request: AuthenticatedHttpRequest, pk: int, perm: str) -> CaseAccess:
    """A case for a page that changes its content: as ``case_access``, and refused (with the
    message, on the case's page) while the case is closed or archived."""
    return content_require(selectors.case_access(request.user, pk), perm)


def content_require(access: CaseAccess, perm: str) -> CaseAccess:
    """``access`` (already loaded) for changing the case's content: 403 without ``perm``,
    refused while the case is closed or archived."""
    if not access.can(perm):
        raise PermissionDenied
    if access.case.is_frozen:
        raise CaseFrozen(access.case.pk)
    return access


def case_read(
    request: AuthenticatedHttpRequest,
    access: CaseAccess,
    page: str,
    shown: list[PersonRow] | None = None,
    shown_via: str = "",
    **details: object,
) -> None:
    services.case_read_record(
        access=access,
        actor=request.user,
        page=page,
        shown=shown or (),
        shown_via=shown_via,
        **details,
    )


def case_page(
    request: AuthenticatedHttpRequest,
    template: str,
    access: CaseAccess,
    tab: str,
    **context: object,
) -> HttpResponse:
    return render(
        request,
        template,
        {"case": access.case, "access": access, "tab": tab, "P": P, **context},
    )

"""A case's timeline and its activity (the audit trail of the case)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from cases import selectors
from cases.views.common import case_page, case_read
from custos.http import AuthenticatedHttpRequest


@require_GET
def timeline_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    case_read(request, access, "timeline")
    return case_page(
        request,
        "cases/timeline.html",
        access,
        "timeline",
        entries=selectors.timeline(access.case, request.user),
    )


@require_GET
def activity_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    page = Paginator(selectors.case_activity(access.case, request.user), 50).get_page(
        request.GET.get("page")
    )
    page.object_list = list(page.object_list)
    case_read(request, access, "activity")
    return case_page(request, "cases/activity.html", access, "activity", page=page)

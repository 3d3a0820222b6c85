from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from audit.filters import AuditEventFilter
from audit.models import AuditChain
from audit.selectors import audit_events_visible_to
from audit.services import audit_read, search_audited
from custos.http import AuthenticatedHttpRequest


@require_GET
@role_required(Role.UNIT_ADMIN)
def event_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The audit trail, read-only, filterable. Reading it is itself audited."""
    filterset = AuditEventFilter(
        request.GET or None, queryset=audit_events_visible_to(request.user)
    )
    applied = filterset.is_bound and filterset.is_valid()

    def read() -> tuple[Page, int]:
        events = filterset.qs.order_by("-id")
        found = Paginator(events, 50).get_page(request.GET.get("page"))
        found.object_list = list(found.object_list)  # read before this read's own rows
        audit_read(
            actor=request.user,
            action="audit.viewed",
            # The filters themselves are in the search row (``search_audited``), which keeps
            # a protected name out of the trail; here only which were used.
            details={"filters": sorted(k for k, v in request.GET.items() if k != "page" and v)},
        )
        return found, found.paginator.count

    page = search_audited(
        actor=request.user,
        area="audit",
        query="",
        params=request.GET if applied else {},
        read=read,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "chain": AuditChain.objects.filter(pk=1).first(),
        "query": query.urlencode(),
    }
    return render(request, "audit/auditevent_list.html", context)

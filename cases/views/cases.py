"""The case list, opening a case, its overview, editing it and its workflow."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.paginator import Page
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import recent_login_required, role_required
from accounts.roles import Role as UserRole
from audit.services import search_audited
from cases import permissions as P
from cases import selectors, services
from cases.forms import (
    CaseFilterForm,
    CaseForm,
    TransitionForm,
)
from cases.views.common import case_page, case_read, content_access
from custos.forms import form_service
from custos.http import AuthenticatedHttpRequest
from custos.views import GET_POST


@require_GET
def case_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    query_text = (filters.get("q") or "").strip()

    def read() -> tuple[Page, int]:
        cases = selectors.case_list(
            request.user,
            status=filters.get("status") or "",
            country=filters.get("country") or "",
            crime_category=filters.get("crime_category") or "",
            classification=filters.get("classification"),
            period_from=filters.get("period_from"),
            period_until=filters.get("period_until"),
            query=query_text,
            order=filters.get("order") or "-opened",
        )
        found = selectors.IdsFirstPaginator(cases, 25).get_page(request.GET.get("page"))
        return found, found.paginator.count

    # A refused form (a query too long) applies nothing, so it is no search.
    params = request.GET if filters else {}
    page = search_audited(
        actor=request.user, area="cases", query=query_text, params=params, read=read
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": request.user.has_role(UserRole.INVESTIGATOR, UserRole.CASE_LEAD),
        },
    )


@role_required(UserRole.INVESTIGATOR, UserRole.CASE_LEAD)
@GET_POST
def case_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CaseForm(request.POST or None, user=request.user)
    opened = form_service(
        request, form, lambda: services.case_create(actor=request.user, **form.cleaned_data)
    )
    if opened:
        case = opened.value
        messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
        return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_form.html", {"form": form})


@require_GET
def case_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    case_read(request, access, "overview")
    case = access.case
    return case_page(
        request,
        "cases/case_detail.html",
        access,
        "overview",
        crimes=case.crimes.all(),
        incidents=selectors.incidents_of(case)[:5],
        status_changes=case.status_changes.select_related("actor").order_by("-created_at")[:5],
        team=selectors.team(case),
        next_statuses=P.next_statuses(case.status, access.role)
        if access.can(P.CHANGE_STATUS)
        else [],
    )


@GET_POST
def case_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = content_access(request, pk, P.CHANGE)
    # A copy: a ModelForm writes into its instance while validating.
    form = CaseForm(request.POST or None, instance=copy.copy(access.case), user=request.user)
    if form_service(
        request,
        form,
        lambda: services.case_update(case=access.case, actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, _("The case has been saved."))
        return redirect("cases:detail", pk=pk)
    return case_page(request, "cases/case_form.html", access, "overview", form=form)


@recent_login_required
@GET_POST
def case_transition_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk, P.CHANGE_STATUS)
    form = TransitionForm(request.POST or None, case=access.case, role=access.role)
    if form_service(
        request,
        form,
        lambda: services.case_transition(
            case=access.case,
            actor=request.user,
            to_status=form.cleaned_data["to_status"],
            reason=form.cleaned_data["reason"],
        ),
    ):
        messages.success(request, _("The status has been changed."))
        return redirect("cases:detail", pk=pk)
    return case_page(request, "cases/case_transition.html", access, "overview", form=form)

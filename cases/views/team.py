"""The case team (managed by its leads, or by a unit admin without reading the case) and a
unit admin's break-glass access."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import recent_login_required, role_required
from accounts.roles import Role as UserRole
from cases import permissions as P
from cases import selectors, services
from cases.forms import (
    BreakGlassForm,
    TeamMemberForm,
)
from cases.models import Case
from custos.forms import action_service, form_service
from custos.http import AuthenticatedHttpRequest
from custos.views import GET_POST, confirm_action


@require_GET
def team_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _team_page(request, pk)


@recent_login_required
@GET_POST
def team_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Adding a member is a sensitive action: the team page's form posts here."""
    return _team_page(request, pk)


def _team_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case, access = selectors.case_team_access(request.user, pk)
    form = TeamMemberForm(request.POST or None, candidates=selectors.team_candidates(case))
    if form_service(
        request,
        form,
        lambda: services.case_member_add(
            case=case,
            actor=request.user,
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
        ),
    ):
        messages.success(request, _("Team member added."))
        return redirect("cases:team", pk=pk)
    context = {"case": case, "form": form, "members": selectors.team(case), "tab": "team", "P": P}
    if access is not None:
        context["access"] = access
    return render(request, "cases/team.html", context)


@recent_login_required
@GET_POST
def team_remove_view(request: AuthenticatedHttpRequest, pk: int, member_pk: int) -> HttpResponse:
    case, _reads = selectors.case_team_access(request.user, pk)
    member = selectors.member_get(case, member_pk)
    if request.method == "GET":
        return confirm_action(
            request,
            title=_("Remove a team member"),
            question=_("Remove %(name)s from the team of %(ref)s?")
            % {"name": member.user.get_full_name() or member.user.username, "ref": case.reference},
            button=_("Remove"),
            cancel_url=reverse("cases:team", args=[pk]),
        )
    if action_service(
        request, lambda: services.case_member_remove(case=case, actor=request.user, member=member)
    ):
        messages.success(request, _("Team member removed."))
    if member.user_id == request.user.pk:
        return redirect("cases:list")
    return redirect("cases:team", pk=pk)


@role_required(UserRole.UNIT_ADMIN)
@require_GET
def team_admin_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Unit admins manage teams from here: references and leads only, no case content."""
    page = Paginator(selectors.cases_for_team_admin(), 50).get_page(request.GET.get("page"))
    return render(request, "cases/team_admin.html", {"page": page})


@role_required(UserRole.UNIT_ADMIN)
@recent_login_required
@GET_POST
def break_glass_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=pk)
    form = BreakGlassForm(request.POST or None)
    if form_service(
        request,
        form,
        lambda: services.break_glass_open(
            case=case,
            actor=request.user,
            justification=form.cleaned_data["justification"],
            hours=form.cleaned_data["hours"],
        ),
    ):
        messages.warning(
            request, _("Break-glass access opened. It is recorded and the case leads are told.")
        )
        return redirect("cases:detail", pk=pk)
    return render(request, "cases/break_glass.html", {"case": case, "form": form})

"""Case pages. Every view loads its case through ``selectors.case_access``: 404 for a case
the user may not see, 403 for an action their role on it does not allow."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import recent_login_required, role_required
from accounts.models import User
from accounts.roles import Role as UserRole
from audit.services import audit_read, search_audited
from cases import permissions as P
from cases import selectors, services
from cases.forms import (
    BreakGlassForm,
    CaseFilterForm,
    CaseForm,
    CasePersonForm,
    GrantForm,
    IncidentForm,
    LinkPersonForm,
    NewPersonForm,
    NoteForm,
    PersonForm,
    ProtectionForm,
    TeamMemberForm,
    TransitionForm,
)
from cases.frozen import CaseFrozen
from cases.models import Case, CaseMember, CaseNote
from cases.selectors import CaseAccess, PersonRow
from custos.csv import csv_response
from custos.forms import SearchForm, add_service_errors
from custos.views import confirm_action

GET_POST = require_http_methods(["GET", "POST"])


def _content_access(request: HttpRequest, pk: int, perm: str) -> CaseAccess:
    """A case for a page that changes its content: as ``case_access``, and refused (with the
    message, on the case's page) while the case is closed or archived."""
    access = selectors.case_access(request.user, pk, perm)
    if access.case.is_frozen:
        raise CaseFrozen(access.case.pk)
    return access


def _audit_read(
    request: HttpRequest,
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


def _page(
    request: HttpRequest, template: str, access: CaseAccess, tab: str, **context: object
) -> HttpResponse:
    return render(
        request,
        template,
        {"case": access.case, "access": access, "tab": tab, "P": P, **context},
    )


# --- Case list, creation, overview, editing, workflow ----------------------------------------


@require_GET
def case_list_view(request: HttpRequest) -> HttpResponse:
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
def case_create_view(request: HttpRequest) -> HttpResponse:
    form = CaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "crimes"}
        try:
            case = services.case_create(
                actor=request.user, crimes=form.cleaned_data["crimes"], **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_form.html", {"form": form})


@require_GET
def case_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    _audit_read(request, access, "overview")
    case = access.case
    return _page(
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
def case_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = _content_access(request, pk, P.CHANGE)
    # A copy: a ModelForm writes into its instance while validating.
    form = CaseForm(request.POST or None, instance=copy.copy(access.case), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "crimes"}
        try:
            services.case_update(
                case=access.case, actor=request.user, crimes=form.cleaned_data["crimes"], **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The case has been saved."))
            return redirect("cases:detail", pk=pk)
    return _page(request, "cases/case_form.html", access, "overview", form=form)


@recent_login_required
@GET_POST
def case_transition_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk, P.CHANGE_STATUS)
    form = TransitionForm(request.POST or None, case=access.case, role=access.role)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_transition(
                case=access.case,
                actor=request.user,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The status has been changed."))
            return redirect("cases:detail", pk=pk)
    return _page(request, "cases/case_transition.html", access, "overview", form=form)


# --- Incidents ------------------------------------------------------------------------------


@require_GET
def incident_list_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    _audit_read(request, access, "incidents")
    return _page(
        request,
        "cases/incident_list.html",
        access,
        "incidents",
        incidents=selectors.incidents_of(access.case),
    )


@GET_POST
def incident_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = _content_access(request, pk, P.CONTRIBUTE)
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "crimes"}
        try:
            incident = services.incident_create(
                case=access.case, actor=request.user, crimes=form.cleaned_data["crimes"], **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Incident recorded."))
            return redirect("cases:incident_detail", pk=pk, incident_pk=incident.pk)
    return _page(request, "cases/incident_form.html", access, "incidents", form=form)


@require_GET
def incident_detail_view(request: HttpRequest, pk: int, incident_pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    incident = selectors.incident_get(access.case, incident_pk)
    _audit_read(request, access, "incident", incident=incident.pk)
    return _page(request, "cases/incident_detail.html", access, "incidents", incident=incident)


@GET_POST
def incident_edit_view(request: HttpRequest, pk: int, incident_pk: int) -> HttpResponse:
    access = _content_access(request, pk, P.CONTRIBUTE)
    incident = selectors.incident_get(access.case, incident_pk)
    form = IncidentForm(request.POST or None, instance=copy.copy(incident))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "crimes"}
        try:
            services.incident_update(
                incident=incident, actor=request.user, crimes=form.cleaned_data["crimes"], **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Incident saved."))
            return redirect("cases:incident_detail", pk=pk, incident_pk=incident.pk)
    return _page(
        request, "cases/incident_form.html", access, "incidents", form=form, incident=incident
    )


# --- Persons --------------------------------------------------------------------------------


@require_GET
def person_list_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    rows = selectors.person_rows(request.user, access.case)
    _audit_read(request, access, "persons", shown=rows, shown_via="person list")
    return _page(request, "cases/person_list.html", access, "persons", rows=rows)


@require_GET
def person_csv_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    rows = selectors.person_rows(request.user, access.case)
    audit_read(
        actor=request.user,
        action="case.persons_exported",
        target=access.case,
        shown=rows,
        shown_via="CSV export",
    )
    header = [
        _("Name or pseudonym"),
        _("Role"),
        _("Protected"),
        _("Gender"),
        _("Nationality"),
        _("Affiliation"),
        _("Unit"),
        _("Rank"),
    ]
    lines = [
        [
            row.label,
            row.case_person.get_role_display(),
            _("yes") if row.protected else _("no"),
            row.person.get_gender_display() if row.person else "",
            ", ".join(c.code for c in row.person.nationality) if row.person else "",
            row.person.affiliation if row.person else "",
            row.person.unit if row.person else "",
            row.person.rank if row.person else "",
        ]
        for row in rows
    ]
    return csv_response([header, *lines], filename=f"{access.case.reference}-persons.csv")


@GET_POST
def person_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = _content_access(request, pk, P.CONTRIBUTE)
    form = NewPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person_data = {k: data[k] for k in services.PERSON_FIELDS}
        try:
            case_person = services.case_person_add(
                case=access.case,
                actor=request.user,
                role=data["role"],
                names=form.names(),
                notes=data["notes"],
                protect=data["protect"],
                measures=data["measures"],
                **person_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Person recorded."))
            return redirect("cases:person_detail", pk=pk, person_pk=case_person.pk)
    return _page(request, "cases/person_form.html", access, "persons", form=form)


@GET_POST
def person_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = _content_access(request, pk, P.CONTRIBUTE)
    search = SearchForm({"q": request.POST.get("q") or request.GET.get("q") or ""})
    if not search.is_valid():
        messages.error(request, " ".join(search.errors["q"]))
    query = (search.cleaned_data.get("q") or "").strip()

    def read() -> tuple[list, int]:
        found = selectors.persons_linkable_by(request.user, access.case, query)
        return found, len(found)

    candidates = search_audited(
        actor=request.user,
        area="persons",
        query=query if request.method == "GET" else "",
        params={},
        read=read,
        names=True,
    )
    form = LinkPersonForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case_person = services.case_person_add(
                case=access.case,
                actor=request.user,
                role=data["role"],
                person=form.candidates[data["person"]],
                protect=data["protect"],
                measures=data["measures"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Person added to the case."))
            return redirect("cases:person_detail", pk=pk, person_pk=case_person.pk)
    return _page(
        request,
        "cases/person_link.html",
        access,
        "persons",
        form=form,
        q=query,
        candidates=candidates,
    )


@require_GET
def person_detail_view(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    row = selectors.person_row(request.user, access.case, person_pk)
    _audit_read(
        request, access, "person", shown=[row], shown_via="person page", person=row.case_person.pk
    )
    grants = (
        list(selectors.identity_grants_of(row.case_person))
        if row.protected and access.can(P.GRANT_IDENTITY)
        else []
    )
    return _page(request, "cases/person_detail.html", access, "persons", row=row, grants=grants)


@GET_POST
def person_edit_view(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    access = _content_access(request, pk, P.CONTRIBUTE)
    row = selectors.person_row(request.user, access.case, person_pk)
    if not row.identity_visible:
        # Editing a person shows who they are: only for those granted the identity.
        raise PermissionDenied
    case_person = row.case_person
    # The shared registry fields belong to the person's home case; elsewhere, this case's
    # role and notes only.
    shared = services.person_editable_by(request.user, case_person.person)
    initial = {"role": case_person.role, "notes": case_person.notes}
    if shared:
        person = copy.copy(row.person)
        initial["aliases"] = "\n".join(n.name for n in person.names.all() if n.kind == "alias")
        initial["transliterations"] = "\n".join(
            n.name for n in person.names.all() if n.kind == "transliteration"
        )
        form = PersonForm(request.POST or None, instance=person, initial=initial)
    else:
        form = CasePersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        shared_data = (
            {"names": form.names(), **{k: data[k] for k in services.PERSON_FIELDS}}
            if shared
            else {}
        )
        try:
            services.case_person_update(
                case_person=case_person,
                actor=request.user,
                role=data["role"],
                notes=data["notes"],
                **shared_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Person saved."))
            return redirect("cases:person_detail", pk=pk, person_pk=case_person.pk)
    return _page(
        request, "cases/person_form.html", access, "persons", form=form, row=row, shared=shared
    )


@GET_POST
def person_protect_view(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    access = _content_access(request, pk, P.CONTRIBUTE)
    row = selectors.person_row(request.user, access.case, person_pk)
    if row.protected and not row.identity_visible:
        raise PermissionDenied
    current = list(row.case_person.measures.values_list("kind", flat=True))
    form = ProtectionForm(request.POST or None, initial={"measures": current})
    if request.method == "POST" and form.is_valid():
        services.case_person_protect(
            case_person=row.case_person,
            actor=request.user,
            measures=form.cleaned_data["measures"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Protection saved."))
        return redirect("cases:person_detail", pk=pk, person_pk=person_pk)
    return _page(request, "cases/person_protect.html", access, "persons", form=form, row=row)


@recent_login_required
@GET_POST
def person_grants_view(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk, P.GRANT_IDENTITY)
    row = selectors.person_row(request.user, access.case, person_pk)
    if not row.protected:
        return redirect("cases:person_detail", pk=pk, person_pk=person_pk)
    holders = services.identity_holders(row.case_person)
    grants = list(selectors.identity_grants_of(row.case_person))
    # Nobody grants an identity to themselves (four eyes).
    candidates = selectors.member_users_for_select(access.case).exclude(
        pk__in=[u.pk for u in holders] + [request.user.pk]
    )
    form = GrantForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.identity_grant(
                case_person=row.case_person, actor=request.user, user=form.cleaned_data["user"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Identity granted."))
            return redirect("cases:person_grants", pk=pk, person_pk=person_pk)
    return _page(
        request,
        "cases/person_grants.html",
        access,
        "persons",
        form=form,
        row=row,
        holders=holders,
        grants=grants,
    )


@recent_login_required
@GET_POST
def person_grant_revoke_view(
    request: HttpRequest, pk: int, person_pk: int, user_pk: int
) -> HttpResponse:
    access = selectors.case_access(request.user, pk, P.GRANT_IDENTITY)
    row = selectors.person_row(request.user, access.case, person_pk)
    user = get_object_or_404(User, pk=user_pk)
    if request.method == "GET":
        return confirm_action(
            request,
            title=_("Revoke identity access"),
            question=_("Stop %(name)s seeing who %(label)s is?")
            % {"name": user.get_full_name() or user.username, "label": row.label},
            button=_("Revoke"),
            cancel_url=reverse("cases:person_grants", args=[pk, person_pk]),
        )
    services.identity_revoke(case_person=row.case_person, actor=request.user, user=user)
    messages.success(request, _("Identity access revoked."))
    return redirect("cases:person_grants", pk=pk, person_pk=person_pk)


# --- Team and break-glass -------------------------------------------------------------------


def _team_candidates(case: Case):
    return (
        User.objects.filter(
            is_active=True,
            clearance__gte=case.classification,
            groups__name__in=[UserRole.CASE_LEAD, UserRole.INVESTIGATOR, UserRole.ANALYST],
        )
        .exclude(case_memberships__case=case)
        .distinct()
        .order_by("username")
    )


@require_GET
def team_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _team_page(request, pk)


@recent_login_required
@GET_POST
def team_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Adding a member is a sensitive action: the team page's form posts here."""
    return _team_page(request, pk)


def _team_page(request: HttpRequest, pk: int) -> HttpResponse:
    case, access = selectors.case_team_access(request.user, pk)
    form = TeamMemberForm(request.POST or None, candidates=_team_candidates(case))
    if request.method == "POST" and form.is_valid():
        try:
            services.case_member_add(
                case=case,
                actor=request.user,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Team member added."))
            return redirect("cases:team", pk=pk)
    context = {"case": case, "form": form, "members": selectors.team(case), "tab": "team", "P": P}
    if access is not None:
        context["access"] = access
    return render(request, "cases/team.html", context)


@recent_login_required
@GET_POST
def team_remove_view(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    case, _reads = selectors.case_team_access(request.user, pk)
    member = get_object_or_404(CaseMember, pk=member_pk, case=case)
    if request.method == "GET":
        return confirm_action(
            request,
            title=_("Remove a team member"),
            question=_("Remove %(name)s from the team of %(ref)s?")
            % {"name": member.user.get_full_name() or member.user.username, "ref": case.reference},
            button=_("Remove"),
            cancel_url=reverse("cases:team", args=[pk]),
        )
    try:
        services.case_member_remove(case=case, actor=request.user, member=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Team member removed."))
    if member.user_id == request.user.pk:
        return redirect("cases:list")
    return redirect("cases:team", pk=pk)


@role_required(UserRole.UNIT_ADMIN)
@require_GET
def team_admin_view(request: HttpRequest) -> HttpResponse:
    """Unit admins manage teams from here: references and leads only, no case content."""
    page = Paginator(selectors.cases_for_team_admin(), 50).get_page(request.GET.get("page"))
    return render(request, "cases/team_admin.html", {"page": page})


@role_required(UserRole.UNIT_ADMIN)
@recent_login_required
@GET_POST
def break_glass_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=pk)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.break_glass_open(
                case=case,
                actor=request.user,
                justification=form.cleaned_data["justification"],
                hours=form.cleaned_data["hours"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.warning(
                request, _("Break-glass access opened. It is recorded and the case leads are told.")
            )
            return redirect("cases:detail", pk=pk)
    return render(request, "cases/break_glass.html", {"case": case, "form": form})


# --- Timeline, activity, notes --------------------------------------------------------------


@require_GET
def timeline_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    _audit_read(request, access, "timeline")
    return _page(
        request,
        "cases/timeline.html",
        access,
        "timeline",
        entries=selectors.timeline(access.case, request.user),
    )


@require_GET
def activity_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    page = Paginator(selectors.case_activity(access.case, request.user), 50).get_page(
        request.GET.get("page")
    )
    page.object_list = list(page.object_list)
    _audit_read(request, access, "activity")
    return _page(request, "cases/activity.html", access, "activity", page=page)


@GET_POST
def note_list_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        access = _content_access(request, pk, P.CONTRIBUTE)
        if form.is_valid():
            services.note_add(case=access.case, actor=request.user, body=form.cleaned_data["body"])
            messages.success(request, _("Note added."))
            return redirect("cases:notes", pk=pk)
    else:
        _audit_read(request, access, "notes")
    notes = access.case.notes.select_related("author")
    return _page(request, "cases/note_list.html", access, "notes", form=form, notes=notes)


def _note(access: CaseAccess, note_pk: int) -> CaseNote:
    return get_object_or_404(CaseNote, pk=note_pk, case=access.case)


@GET_POST
def note_edit_view(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    access = _content_access(request, pk, P.CONTRIBUTE)
    note = _note(access, note_pk)
    form = NoteForm(request.POST or None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        services.note_edit(note=note, actor=request.user, body=form.cleaned_data["body"])
        messages.success(request, _("Note saved. The earlier version is kept in its history."))
        return redirect("cases:notes", pk=pk)
    return _page(request, "cases/note_form.html", access, "notes", form=form, note=note)


@require_GET
def note_history_view(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    note = _note(access, note_pk)
    _audit_read(request, access, "note history", note=note.pk)
    revisions = note.revisions.select_related("edited_by")
    return _page(
        request, "cases/note_history.html", access, "notes", note=note, revisions=revisions
    )

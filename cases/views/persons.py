"""The persons of a case: the list and its CSV export, adding and linking, a person's page,
editing and protecting them, and who holds a protected identity. Every protected identity
shown is an audited read."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import recent_login_required
from accounts.models import User
from audit.services import audit_read, search_audited
from cases import permissions as P
from cases import selectors, services
from cases.forms import (
    CasePersonForm,
    GrantForm,
    LinkPersonForm,
    NewPersonForm,
    PersonForm,
    ProtectionForm,
)
from cases.models import CasePerson
from cases.selectors import CaseAccess
from cases.views.common import case_page, case_read, content_access
from custos.csv import csv_response
from custos.forms import SearchForm, form_service
from custos.http import AuthenticatedHttpRequest
from custos.views import GET_POST, confirm_action


@require_GET
def person_list_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    rows = selectors.person_rows(request.user, access.case)
    case_read(request, access, "persons", shown=rows, shown_via="person list")
    return case_page(request, "cases/person_list.html", access, "persons", rows=rows)


@require_GET
def person_csv_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
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
            # Country objects at run time; django-countries types the field as codes.
            ", ".join(c.code for c in row.person.nationality)  # type: ignore[attr-defined]
            if row.person
            else "",
            row.person.affiliation if row.person else "",
            row.person.unit if row.person else "",
            row.person.rank if row.person else "",
        ]
        for row in rows
    ]
    return csv_response([header, *lines], filename=f"{access.case.reference}-persons.csv")


def _case_person_add(
    request: AuthenticatedHttpRequest, access: CaseAccess, data: dict[str, Any], **person: Any
) -> CasePerson:
    """Adds a person (a new one, or one of another case) with the role and protection the form
    gave."""
    return services.case_person_add(
        case=access.case,
        actor=request.user,
        role=data["role"],
        protect=data["protect"],
        measures=data["measures"],
        **person,
    )


@GET_POST
def person_create_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = content_access(request, pk, P.CONTRIBUTE)
    form = NewPersonForm(request.POST or None)

    def add() -> CasePerson:
        data = form.cleaned_data
        person = {k: data[k] for k in services.PERSON_FIELDS}
        return _case_person_add(
            request, access, data, names=form.names(), notes=data["notes"], **person
        )

    added = form_service(request, form, add)
    if added:
        messages.success(request, _("Person recorded."))
        return redirect("cases:person_detail", pk=pk, person_pk=added.value.pk)
    return case_page(request, "cases/person_form.html", access, "persons", form=form)


@GET_POST
def person_link_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = content_access(request, pk, P.CONTRIBUTE)
    search = SearchForm({"q": request.POST.get("q") or request.GET.get("q") or ""})
    if not search.is_valid():
        messages.error(request, " ".join(str(error) for error in search.errors["q"]))
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
    added = form_service(
        request,
        form,
        lambda: _case_person_add(
            request, access, form.cleaned_data, person=form.candidates[form.cleaned_data["person"]]
        ),
    )
    if added:
        messages.success(request, _("Person added to the case."))
        return redirect("cases:person_detail", pk=pk, person_pk=added.value.pk)
    return case_page(
        request,
        "cases/person_link.html",
        access,
        "persons",
        form=form,
        q=query,
        candidates=candidates,
    )


@require_GET
def person_detail_view(request: AuthenticatedHttpRequest, pk: int, person_pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    row = selectors.person_row(request.user, access.case, person_pk)
    case_read(
        request, access, "person", shown=[row], shown_via="person page", person=row.case_person.pk
    )
    grants = (
        list(selectors.identity_grants_of(row.case_person))
        if row.protected and access.can(P.GRANT_IDENTITY)
        else []
    )
    return case_page(request, "cases/person_detail.html", access, "persons", row=row, grants=grants)


@GET_POST
def person_edit_view(request: AuthenticatedHttpRequest, pk: int, person_pk: int) -> HttpResponse:
    access = content_access(request, pk, P.CONTRIBUTE)
    row = selectors.person_row(request.user, access.case, person_pk)
    if row.person is None:
        # Editing a person shows who they are: only for those granted the identity.
        raise PermissionDenied
    case_person = row.case_person
    # The shared registry fields belong to the person's home case; elsewhere, this case's
    # role and notes only.
    shared = services.person_editable_by(request.user, case_person.person)
    initial = {"role": case_person.role, "notes": case_person.notes}
    form: PersonForm | CasePersonForm
    if shared:
        person = copy.copy(row.person)
        initial["aliases"] = "\n".join(n.name for n in person.names.all() if n.kind == "alias")
        initial["transliterations"] = "\n".join(
            n.name for n in person.names.all() if n.kind == "transliteration"
        )
        form = PersonForm(request.POST or None, instance=person, initial=initial)
    else:
        form = CasePersonForm(request.POST or None, initial=initial)

    def save() -> CasePerson:
        data = form.cleaned_data
        shared_data = (
            {"names": form.names(), **{k: data[k] for k in services.PERSON_FIELDS}}
            if isinstance(form, PersonForm)
            else {}
        )
        return services.case_person_update(
            case_person=case_person,
            actor=request.user,
            role=data["role"],
            notes=data["notes"],
            **shared_data,
        )

    if form_service(request, form, save):
        messages.success(request, _("Person saved."))
        return redirect("cases:person_detail", pk=pk, person_pk=case_person.pk)
    return case_page(
        request, "cases/person_form.html", access, "persons", form=form, row=row, shared=shared
    )


@GET_POST
def person_protect_view(request: AuthenticatedHttpRequest, pk: int, person_pk: int) -> HttpResponse:
    access = content_access(request, pk, P.CONTRIBUTE)
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
    return case_page(request, "cases/person_protect.html", access, "persons", form=form, row=row)


@recent_login_required
@GET_POST
def person_grants_view(request: AuthenticatedHttpRequest, pk: int, person_pk: int) -> HttpResponse:
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
    if form_service(
        request,
        form,
        lambda: services.identity_grant(
            case_person=row.case_person, actor=request.user, user=form.cleaned_data["user"]
        ),
    ):
        messages.success(request, _("Identity granted."))
        return redirect("cases:person_grants", pk=pk, person_pk=person_pk)
    return case_page(
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
    request: AuthenticatedHttpRequest, pk: int, person_pk: int, user_pk: int
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

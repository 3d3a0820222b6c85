"""Pages of the proof matrix. Allegations and links load through ``evidence.proof.selectors``
(404 for anything of a case the user may not see, 403 for writes without the contribute
permission); every read of a matrix is audited; persons appear through ``person_rows`` labels
only."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.services import audit_read
from cases import permissions as P
from cases.models import Case
from cases.selectors import CaseAccess, PersonRow, case_access, person_rows
from custos.csv import csv_response
from custos.forms import form_service
from custos.http import AuthenticatedHttpRequest
from custos.views import GET_POST
from evidence.models import Allegation, EvidenceLink
from evidence.proof import selectors, services
from evidence.proof.forms import AllegationForm, ItemLinkForm, LinkForm, ReviseForm, WithdrawForm
from evidence.selectors import item_access


def _page(
    request: AuthenticatedHttpRequest, template: str, access: CaseAccess, **context: object
) -> HttpResponse:
    return render(
        request,
        template,
        {"case": access.case, "access": access, "tab": "proof", "P": P, **context},
    )


def _audit_read(
    request: AuthenticatedHttpRequest,
    access: CaseAccess,
    page: str,
    target: Case | Allegation | EvidenceLink,
    shown: Iterable[PersonRow] = (),
    action: str = "proof.viewed",
) -> None:
    """A read of a matrix, and every protected identity it showed, are audited."""
    audit_read(
        actor=request.user,
        action=action,
        target=target,
        details={"page": page},
        break_glass=access.via_break_glass,
        shown=shown,
        shown_via=f"proof {page}",
    )


def _suspects(request: AuthenticatedHttpRequest, access: CaseAccess) -> dict[int, PersonRow]:
    return {row.case_person.pk: row for row in person_rows(request.user, access.case)}


def _matrix_url(allegation: Allegation) -> str:
    return reverse("proof:matrix", args=[allegation.pk])


# --- Overview and allegations ----------------------------------------------------------------


@require_GET
def overview_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    access = case_access(request.user, case_pk)
    suspects = _suspects(request, access)
    entries = [
        (m, suspects.get(m.allegation.suspect_id))
        for m in selectors.matrices_of(access.case, request.user)
    ]
    _audit_read(request, access, "overview", access.case, [row for _m, row in entries if row])
    return _page(request, "evidence/proof_overview.html", access, entries=entries)


@GET_POST
def allegation_create_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    access = case_access(request.user, case_pk, P.CONTRIBUTE)
    persons = person_rows(request.user, access.case)
    form = AllegationForm(request.POST or None, case=access.case, persons=persons)
    recorded = form_service(
        request,
        form,
        lambda: services.allegation_create(
            case=access.case, actor=request.user, **form.cleaned_data
        ),
    )
    if recorded:
        messages.success(request, _("Allegation recorded. Link evidence to its elements."))
        return redirect(_matrix_url(recorded.value))
    return _page(request, "evidence/proof_allegation_form.html", access, form=form)


@GET_POST
def allegation_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    allegation, access = selectors.allegation_access(request.user, pk, P.CONTRIBUTE)
    persons = person_rows(request.user, access.case)
    form = AllegationForm(
        request.POST or None, case=access.case, persons=persons, allegation=allegation
    )
    if form_service(
        request,
        form,
        lambda: services.allegation_update(
            allegation=allegation, actor=request.user, **form.cleaned_data
        ),
    ):
        messages.success(request, _("Allegation saved."))
        return redirect(_matrix_url(allegation))
    return _page(
        request, "evidence/proof_allegation_form.html", access, form=form, allegation=allegation
    )


# --- The matrix and its export ---------------------------------------------------------------


@require_GET
def matrix_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    allegation, access = selectors.allegation_access(request.user, pk)
    built = selectors.matrix(allegation, request.user)
    suspect = _suspects(request, access).get(allegation.suspect_id)
    _audit_read(request, access, "matrix", allegation, [suspect] if suspect else [])
    return _page(
        request,
        "evidence/proof_matrix.html",
        access,
        allegation=built.allegation,
        matrix=built,
        suspect=suspect,
    )


@require_GET
def matrix_csv_view(request: AuthenticatedHttpRequest, pk: int) -> StreamingHttpResponse:
    allegation, access = selectors.allegation_access(request.user, pk)
    section = selectors.matrix_rows_for_export(allegation, request.user)
    suspect = _suspects(request, access).get(allegation.suspect_id)
    _audit_read(
        request,
        access,
        "matrix_csv",
        allegation,
        [suspect] if suspect else [],
        action="proof.exported",
    )
    filename = f"{access.case.reference}-allegation-{allegation.pk}-proof.csv"
    return csv_response([section.columns, *section.rows], filename=filename)


# --- Links -----------------------------------------------------------------------------------


def _preselected(request: AuthenticatedHttpRequest, allegation: Allegation) -> str | None:
    element, mode = request.GET.get("element", ""), request.GET.get("mode", "")
    if element.isdigit():
        return f"e:{allegation.crime_id}:{element}"
    if mode.isdigit():
        return f"m:{mode}"
    return None


def _linked(request: AuthenticatedHttpRequest, form: LinkForm | ItemLinkForm, **about: Any) -> bool:
    """Creates the link a valid POSTed form describes (``about``: the item, and the allegation
    when the page is the allegation's); the service's errors go on the form."""

    def link() -> EvidenceLink:
        data = form.cleaned_data
        return services.link_create(
            actor=request.user,
            assessment=data["assessment"],
            locator=data["locator"],
            relevance=data["relevance"],
            **about,
            **data["target"],
        )

    if not form_service(request, form, link):
        return False
    messages.success(request, _("Evidence linked."))
    return True


@GET_POST
def link_create_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    allegation, access = selectors.allegation_access(request.user, pk, P.CONTRIBUTE)
    items = list(access.case.evidence.cleared_for(request.user).order_by("number"))
    form = LinkForm(
        request.POST or None,
        allegation=allegation,
        items=items,
        initial={"target": _preselected(request, allegation)},
    )
    if request.method == "POST" and form.is_valid():
        item = form.cleaned_data["item"]
        if _linked(request, form, allegation=allegation, item=item):
            return redirect(_matrix_url(allegation))
    return _page(
        request,
        "evidence/proof_link_form.html",
        access,
        form=form,
        allegation=allegation,
        heading=_("Link evidence to allegation #%(pk)s") % {"pk": allegation.pk},
        cancel=_matrix_url(allegation),
    )


@GET_POST
def item_link_view(request: AuthenticatedHttpRequest, item_pk: int) -> HttpResponse:
    item, access = item_access(request.user, item_pk, P.CONTRIBUTE)
    allegations = list(selectors.allegations_of(access.case))
    only = request.GET.get("allegation", "")
    if only.isdigit() and any(a.pk == int(only) for a in allegations):
        allegations = [a for a in allegations if a.pk == int(only)]
    labels = {pk: row.label for pk, row in _suspects(request, access).items()}
    form = ItemLinkForm(request.POST or None, allegations=allegations, suspect_labels=labels)
    if _linked(request, form, item=item):
        return redirect("evidence:detail", pk=item.pk)
    return _page(
        request,
        "evidence/proof_link_form.html",
        access,
        form=form,
        item=item,
        no_allegation=not allegations,
        heading=_("Link %(exhibit)s to an element") % {"exhibit": item.exhibit},
        cancel=reverse("evidence:detail", args=[item.pk]),
    )


def _link_change(
    request: AuthenticatedHttpRequest,
    pk: int,
    make_form: Callable[[EvidenceLink], ReviseForm | WithdrawForm],
    change: Callable[..., EvidenceLink],
    *,
    done: str,
    heading: str,
    submit: str,
) -> HttpResponse:
    """A change to a link (a new version, or its withdrawal) by a contributor, with the reason."""
    link, access = selectors.link_access(request.user, pk, P.CONTRIBUTE)
    form = make_form(link)
    if form_service(
        request, form, lambda: change(link=link, actor=request.user, **form.cleaned_data)
    ):
        messages.success(request, done)
        return redirect(_matrix_url(link.allegation))
    return _page(
        request,
        "evidence/proof_link_change.html",
        access,
        form=form,
        link=link,
        allegation=link.allegation,
        heading=heading,
        submit=submit,
    )


@GET_POST
def link_revise_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _link_change(
        request,
        pk,
        lambda link: ReviseForm(request.POST or None, link=link),
        services.link_revise,
        done=_("A new version of the link is recorded."),
        heading=_("Revise a link"),
        submit=_("Record the new version"),
    )


@GET_POST
def link_withdraw_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _link_change(
        request,
        pk,
        lambda link: WithdrawForm(request.POST or None),
        services.link_withdraw,
        done=_("Link withdrawn. Its history is kept."),
        heading=_("Withdraw a link"),
        submit=_("Withdraw the link"),
    )


@require_GET
def link_history_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    link, access = selectors.link_access(request.user, pk)
    versions = list(selectors.link_history(link))
    _audit_read(request, access, "link_history", link)
    crime = link.allegation.crime
    element = (
        crime.elements[link.element_index]
        if link.element_index is not None and link.element_index < len(crime.elements)
        else ""
    )
    return _page(
        request,
        "evidence/proof_link_history.html",
        access,
        link=link,
        allegation=link.allegation,
        versions=versions,
        element=element,
    )

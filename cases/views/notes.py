"""Case notes and their history."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases import permissions as P
from cases import selectors, services
from cases.forms import (
    NoteForm,
)
from cases.models import CaseNote
from cases.selectors import CaseAccess
from cases.views.common import case_page, case_read, content_access, content_require
from custos.http import AuthenticatedHttpRequest
from custos.views import GET_POST


@GET_POST
def note_list_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        content_require(access, P.CONTRIBUTE)
        if form.is_valid():
            services.note_add(case=access.case, actor=request.user, body=form.cleaned_data["body"])
            messages.success(request, _("Note added."))
            return redirect("cases:notes", pk=pk)
    else:
        case_read(request, access, "notes")
    notes = access.case.notes.select_related("author")
    return case_page(request, "cases/note_list.html", access, "notes", form=form, notes=notes)


def _note(access: CaseAccess, note_pk: int) -> CaseNote:
    return selectors.note_get(access.case, note_pk)


@GET_POST
def note_edit_view(request: AuthenticatedHttpRequest, pk: int, note_pk: int) -> HttpResponse:
    access = content_access(request, pk, P.CONTRIBUTE)
    note = _note(access, note_pk)
    form = NoteForm(request.POST or None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        services.note_edit(note=note, actor=request.user, body=form.cleaned_data["body"])
        messages.success(request, _("Note saved. The earlier version is kept in its history."))
        return redirect("cases:notes", pk=pk)
    return case_page(request, "cases/note_form.html", access, "notes", form=form, note=note)


@require_GET
def note_history_view(request: AuthenticatedHttpRequest, pk: int, note_pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    note = _note(access, note_pk)
    case_read(request, access, "note history", note=note.pk)
    revisions = note.revisions.select_related("edited_by")
    return case_page(
        request, "cases/note_history.html", access, "notes", note=note, revisions=revisions
    )

"""Case notes, each edit kept as a revision."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import Case, CaseNote, CaseNoteRevision
from cases.services.common import require


@transaction.atomic
def note_add(*, case: Case, actor: User, body: str) -> CaseNote:
    require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    note = CaseNote.objects.create(case=case, author=actor, body=body)
    CaseNoteRevision.objects.create(note=note, version=1, body=body, edited_by=actor)
    audit_record(actor=actor, action="note.created", target=note)
    return note


@transaction.atomic
def note_edit(*, note: CaseNote, actor: User, body: str) -> CaseNote:
    """A new version of the note; every earlier version stays readable in its history."""
    require(actor, note.case, P.CONTRIBUTE)
    case_require_open(note.case)
    note = CaseNote.objects.select_for_update().get(pk=note.pk)
    if body == note.body:
        return note
    note.version += 1
    note.body = body
    note.updated_at = timezone.now()
    note.save(update_fields=["version", "body", "updated_at"])
    CaseNoteRevision.objects.create(note=note, version=note.version, body=body, edited_by=actor)
    audit_record(
        actor=actor,
        action="note.edited",
        target=note,
        details={"version": note.version},
    )
    return note

"""A closed or archived case is frozen: nothing of its content is added or changed until a
lead reopens it with a reason. Custody goes on (events, hand-overs, fixity checks)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cases import services
from cases.frozen import FROZEN_MESSAGE, CaseFrozen
from cases.models import Case, CasePerson
from evidence import proof
from evidence import services as evidence_services
from evidence.models import CustodyEvent, EvidenceFile, EvidenceItem, EvidenceLink
from tests.cases.conftest import SHARED_WORLD
from tests.evidence.conftest import (  # noqa: F401
    PDF,
    Evidence,
    allegation_for,
    build_proof,
    ev,
    evidence_storage,
    hashed_upload,
)

pytestmark = SHARED_WORLD  # the case world is built once for the module

MESSAGE = "This case is closed: reopen it to change it."
Assessment = EvidenceLink.Assessment


def _close(e: Evidence, *, archive: bool = False) -> Case:
    w = e.world
    services.case_transition(case=w.case, actor=w.lead, to_status="closed", reason="Referred")
    if archive:
        services.case_transition(
            case=w.case, actor=w.lead, to_status="archived", reason="Retention"
        )
    w.case.refresh_from_db()
    return w.case


# One representative write of every kind of content, by someone who may contribute.
WRITES: dict[str, Callable[[Evidence], object]] = {
    "case edit": lambda e: services.case_update(
        case=e.world.case, actor=e.world.lead, title="Renamed"
    ),
    "note": lambda e: services.note_add(case=e.world.case, actor=e.world.lead, body="Late"),
    "incident": lambda e: services.incident_create(
        case=e.world.case,
        actor=e.world.investigator,
        title="Second shelling",
        description="Another round.",
        date_precision="unknown",
        place_name="Station",
        country="UA",
    ),
    "incident edit": lambda e: services.incident_update(
        incident=e.world.incident, actor=e.world.investigator, title="Renamed"
    ),
    "person": lambda e: services.case_person_add(
        case=e.world.case,
        actor=e.world.investigator,
        role=CasePerson.Role.WITNESS,
        full_name="A late witness",
    ),
    "person edit": lambda e: services.case_person_update(
        case_person=e.world.suspect,
        actor=e.world.investigator,
        role=CasePerson.Role.SUSPECT,
        notes="Changed",
    ),
    "protection": lambda e: services.case_person_protect(
        case_person=e.world.suspect, actor=e.world.investigator, measures=[]
    ),
    "evidence item": lambda e: evidence_services.item_create(
        case=e.world.case,
        actor=e.world.investigator,
        kind=EvidenceItem.Kind.STATEMENT,
        description="A late statement",
    ),
    "evidence item edit": lambda e: evidence_services.item_update(
        item=e.item, actor=e.world.investigator, description="Changed"
    ),
    "evidence file": lambda e: evidence_services.file_add(
        item=e.item,
        actor=e.world.investigator,
        upload=hashed_upload(PDF + b"late", "late.pdf"),
        role=EvidenceFile.Role.WORKING_COPY,
    ),
    "allegation": lambda e: allegation_for(e.world),
    "proof link": lambda e: None,  # built in the test: its allegation predates closing
}


@pytest.mark.parametrize("archive", [False, True], ids=["closed", "archived"])
@pytest.mark.parametrize("kind", sorted(WRITES))
def test_nothing_of_a_frozen_case_is_added_or_changed(
    ev: Evidence,  # noqa: F811 - the imported fixture
    kind: str,
    archive: bool,
) -> None:
    write: Callable[[], object]
    if kind == "proof link":
        allegation = build_proof(ev).allegation  # made while the case is open
        write = lambda: proof.link_create(  # noqa: E731
            allegation=allegation,
            item=ev.item,
            actor=ev.world.investigator,
            element_index=2,
            assessment=Assessment.WEAK,
            locator="p. 3",
            relevance="Late.",
        )
    else:
        write = lambda: WRITES[kind](ev)  # noqa: E731
    _close(ev, archive=archive)
    with pytest.raises(CaseFrozen) as refused:
        write()
    assert refused.value.messages == [MESSAGE]


def test_reopening_an_archived_case_needs_a_lead_and_a_reason_and_unfreezes_it(
    ev: Evidence,  # noqa: F811 - the imported fixture
) -> None:
    w = ev.world
    case = _close(ev, archive=True)
    with pytest.raises(ValidationError):
        services.case_transition(
            case=case, actor=w.investigator, to_status="active_investigation", reason="More"
        )
    with pytest.raises(ValidationError, match="reason"):
        services.case_transition(
            case=case, actor=w.lead, to_status="active_investigation", reason=" "
        )
    services.case_transition(
        case=case, actor=w.lead, to_status="active_investigation", reason="New witness found"
    )
    assert services.note_add(case=case, actor=w.lead, body="Reopened").pk


def test_custody_goes_on_in_a_closed_case(ev: Evidence) -> None:  # noqa: F811
    w = ev.world
    _close(ev, archive=True)
    evidence_services.custody_record(
        item=ev.item, actor=w.investigator, kind=CustodyEvent.Kind.SEALED, seal_numbers="S-1"
    )
    transfer = evidence_services.transfer_initiate(
        item=ev.item, actor=w.investigator, to_user=w.lead, purpose="Archive room"
    )
    evidence_services.transfer_accept(transfer=transfer, actor=w.lead, location="Archive")
    check = evidence_services.fixity_check(ev.original.blob)
    assert check.ok
    ev.item.refresh_from_db()
    assert ev.item.custodian == w.lead


def test_the_pages_hide_the_buttons_and_a_post_gets_the_message(
    client: Client,
    ev: Evidence,  # noqa: F811 - the imported fixture
) -> None:
    w = ev.world
    _close(ev)
    client.force_login(w.lead)
    notes = client.get(reverse("cases:notes", args=[w.case.pk])).content.decode()
    assert MESSAGE in notes
    assert "Add note" not in notes
    detail = client.get(reverse("cases:detail", args=[w.case.pk])).content.decode()
    assert reverse("cases:edit", args=[w.case.pk]) not in detail
    item = client.get(reverse("evidence:detail", args=[ev.item.pk])).content.decode()
    assert reverse("evidence:file_add", args=[ev.item.pk]) not in item
    response = client.post(reverse("cases:notes", args=[w.case.pk]), {"body": "Late"}, follow=True)
    assert MESSAGE in response.content.decode()
    assert not w.case.notes.filter(body="Late").exists()
    edit_url = reverse("cases:incident_edit", args=[w.case.pk, w.incident.pk])
    form = client.get(edit_url, follow=True)
    assert form.redirect_chain[-1][0] == reverse("cases:detail", args=[w.case.pk])
    assert str(FROZEN_MESSAGE) in form.content.decode()
    edit = client.post(
        edit_url,
        {"title": "Renamed", "description": "x", "date_precision": "unknown", "country": "UA"},
        follow=True,
    )
    assert str(FROZEN_MESSAGE) in edit.content.decode()
    w.incident.refresh_from_db()
    assert w.incident.title != "Renamed"

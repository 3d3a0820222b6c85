"""The proof matrix refuses bad input with a clear error and saves nothing, in the services,
the database and the pages; only contributors write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from cases import services as case_services
from cases.models import CasePerson, Incident
from evidence import proof, services
from evidence.models import Allegation, EvidenceItem, EvidenceLink
from tests.cases.conftest import SHARED_WORLD, open_case
from tests.evidence.conftest import (
    Evidence,
    Proof,
    allegation_for,
    crime,
    mode,
)

pytestmark = SHARED_WORLD  # the case world is built once for the module


# --- Bad input: a clear error, nothing saved -------------------------------------------------


def _refused(field: str, call: Callable[..., object], **kwargs: Any) -> ValidationError:
    links, allegations = EvidenceLink.objects.count(), Allegation.objects.count()
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    assert field in error.value.message_dict, error.value.message_dict
    assert (EvidenceLink.objects.count(), Allegation.objects.count()) == (links, allegations)
    return error.value


def _link_refused(pw: Proof, field: str, **kwargs: object) -> ValidationError:
    """A link of the proof's item to its allegation, by the investigator, refused on ``field``."""
    mine = {"allegation": pw.allegation, "item": pw.ev.item, "actor": pw.world.investigator}
    return _refused(field, proof.link_create, **mine, **kwargs)


def test_an_element_out_of_range_is_refused(pw: Proof) -> None:
    error = _link_refused(
        pw,
        "target",
        element_index=5,
        assessment="strong",
    )
    assert "Art. 8(2)(b)(i) has no element 6." in error.message_dict["target"]


def test_an_element_of_a_different_crime_is_refused(pw: Proof) -> None:
    error = _link_refused(
        pw,
        "target",
        element_index=0,
        element_crime=crime("ART7_1_A"),
        assessment="strong",
    )
    assert "art. 7(1)(a)" in error.message_dict["target"][0]


def test_a_mode_the_allegation_does_not_name_is_refused(pw: Proof) -> None:
    error = _link_refused(
        pw,
        "target",
        mode=mode("28(a)"),
        assessment="strong",
    )
    assert "28(a) is not a mode of liability of this allegation." in error.message_dict["target"]


def test_a_link_needs_exactly_one_target(pw: Proof) -> None:
    for target in ({}, {"element_index": 0, "mode": mode("25(3)(a)")}):
        _link_refused(
            pw,
            "target",
            assessment="strong",
            **target,
        )


def test_evidence_of_another_case_is_refused(pw: Proof) -> None:
    w = pw.world
    other = open_case(w.lead, title="Another case")
    foreign, _ = services.item_create(
        case=other, actor=w.lead, kind=EvidenceItem.Kind.DOCUMENT, description="Elsewhere"
    )
    error = _refused(
        "item",
        proof.link_create,
        allegation=pw.allegation,
        item=foreign,
        actor=w.investigator,
        element_index=0,
        assessment="strong",
    )
    assert "This evidence belongs to another case." in error.message_dict["item"]


def test_a_duplicate_current_link_is_refused(pw: Proof) -> None:
    error = _link_refused(
        pw,
        "locator",
        element_index=1,
        locator=" p. 2 ",
        assessment="weak",
    )
    assert "already linked to this row" in error.message_dict["locator"][0]
    # Another place in the same item is another link.
    proof.link_create(
        allegation=pw.allegation,
        item=pw.ev.item,
        actor=pw.world.investigator,
        element_index=1,
        locator="p. 5",
        assessment="weak",
    )


def test_a_revision_onto_another_current_link_is_refused(pw: Proof) -> None:
    w = pw.world
    proof.link_create(
        allegation=pw.allegation,
        item=pw.ev.item,
        actor=w.investigator,
        element_index=1,
        locator="p. 5",
        assessment="weak",
    )
    _refused(
        "locator",
        proof.link_revise,
        link=pw.link,
        actor=w.investigator,
        reason="Same page as the other",
        assessment="strong",
        locator="p. 5",
    )


def test_the_database_refuses_a_duplicate_current_link_too(pw: Proof) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        EvidenceLink.objects.create(
            allegation=pw.allegation,
            item=pw.ev.item,
            element_index=1,
            locator="p. 2",
            assessment="weak",
            changed_by=pw.world.investigator,
        )


@pytest.mark.parametrize("field", ["suspect", "incidents"])
def test_a_suspect_or_incident_of_another_case_is_refused(ev: Evidence, field: str) -> None:
    w = ev.world
    other = open_case(w.lead, title="Another case")
    foreign = {
        "suspect": case_services.case_person_add(
            case=other, actor=w.lead, role=CasePerson.Role.SUSPECT, full_name="Someone Else"
        ),
        "incidents": [
            Incident.objects.create(
                case=other,
                title="Elsewhere",
                date_start=w.incident.date_start,
                place_name="Elsewhere",
                country="UA",
                created_by=w.lead,
            )
        ],
    }[field]
    _refused(field, allegation_for, world=w, **{field: foreign})


def test_an_allegation_is_against_a_suspect_and_names_a_mode(ev: Evidence) -> None:
    w = ev.world
    _refused("suspect", allegation_for, world=w, suspect=w.witness)
    _refused("modes", allegation_for, world=w, modes=[])
    _refused("modes", allegation_for, world=w, modes=[mode("30")])


def test_the_crime_and_suspect_are_fixed_once_evidence_is_linked(pw: Proof) -> None:
    w = pw.world
    common: dict[str, Any] = {
        "allegation": pw.allegation,
        "actor": w.lead,
        "suspect": w.suspect,
        "crime": pw.allegation.crime,
        "modes": [mode("25(3)(a)")],
        "incidents": [w.incident],
        "status": Allegation.Status.UNDER_INVESTIGATION,
    }
    _refused("crime", proof.allegation_update, **{**common, "crime": crime("ART7_1_A")})
    updated = proof.allegation_update(
        **{**common, "modes": [mode("28(a)")], "status": Allegation.Status.SUBSTANTIATED}
    )
    assert updated.status == Allegation.Status.SUBSTANTIATED
    assert [m.article for m in updated.modes.all()] == ["28(a)"]


def test_a_mode_with_current_links_cannot_be_removed(pw: Proof) -> None:
    w = pw.world
    proof.link_create(
        allegation=pw.allegation,
        item=pw.ev.item,
        actor=w.investigator,
        mode=mode("25(3)(a)"),
        assessment="weak",
    )
    _refused(
        "modes",
        proof.allegation_update,
        allegation=pw.allegation,
        actor=w.lead,
        suspect=w.suspect,
        crime=pw.allegation.crime,
        modes=[mode("28(a)")],
        status="under_investigation",
    )


@pytest.mark.parametrize("actor", ["analyst", "colleague"])
def test_only_contributors_write(pw: Proof, request: pytest.FixtureRequest, actor: str) -> None:
    user = getattr(pw.world, actor)
    with pytest.raises(PermissionDenied):
        allegation_for(pw.world, actor=user)
    with pytest.raises(PermissionDenied):
        proof.link_revise(link=pw.link, actor=user, reason="x", assessment="weak")
    with pytest.raises(PermissionDenied):
        proof.link_withdraw(link=pw.link, actor=user, reason="x")

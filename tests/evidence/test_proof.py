"""The proof matrix: allegations, evidence linked to the elements of their crimes, coverage
and gaps, contradicting evidence to disclose, versioned links, and protected suspects."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from cases import services as case_services
from cases.models import CasePerson, Crime, Incident, ModeOfLiability
from evidence import proof, services
from evidence.models import Allegation, EvidenceItem, EvidenceLink
from tests.cases.conftest import SHARED_WORLD, World, open_case
from tests.conftest import text_of
from tests.evidence.conftest import Evidence

pytestmark = SHARED_WORLD  # the case world is built once for the module

Assessment = EvidenceLink.Assessment
PROTECTED_SUSPECT = "Vukan CANARY-SUSPECT Petrovic"


def crime(code: str) -> Crime:
    return Crime.objects.get(code=code)


def mode(article: str) -> ModeOfLiability:
    return ModeOfLiability.objects.get(article=article)


def new_items(world: World, count: int, start: int = 1) -> list[EvidenceItem]:
    return [
        services.item_create(
            case=world.case,
            actor=world.investigator,
            kind=EvidenceItem.Kind.DOCUMENT,
            description=f"Report {n}",
        )[0]
        for n in range(start, start + count)
    ]


@dataclass
class Proof:
    ev: Evidence
    allegation: Allegation
    link: EvidenceLink

    @property
    def world(self) -> World:
        return self.ev.world


def allegation_for(world: World, code: str = "ART8_2_B_I", **overrides: object) -> Allegation:
    data: dict[str, object] = {
        "case": world.case,
        "actor": world.investigator,
        "suspect": world.suspect,
        "crime": crime(code),
        "modes": [mode("25(3)(a)")],
        "incidents": [world.incident],
    }
    data.update(overrides)
    return proof.allegation_create(**data)


def build_proof(ev: Evidence) -> Proof:
    """An allegation of attacking civilians against the suspect, by commission, with the
    statement linked (strongly) to element 2: the civilians were the object of the attack."""
    allegation = allegation_for(ev.world)
    link = proof.link_create(
        allegation=allegation,
        item=ev.item,
        actor=ev.world.investigator,
        element_index=1,
        assessment=Assessment.STRONG,
        locator="p. 2",
        relevance="The vendor saw civilians only.",
    )
    return Proof(ev, allegation, link)


@pytest.fixture
def pw(ev: Evidence) -> Proof:
    return build_proof(ev)


def protected_suspect(world: World) -> CasePerson:
    """A protected suspect: the lead recorded them (and holds the identity), nobody else."""
    return case_services.case_person_add(
        case=world.case,
        actor=world.lead,
        role=CasePerson.Role.SUSPECT,
        full_name=PROTECTED_SUSPECT,
        protect=True,
    )


# --- The contextual rule and the rows --------------------------------------------------------


def test_contextual_elements_are_those_that_describe_the_context(db: None) -> None:
    attack = crime("ART8_2_B_I").elements
    assert [proof.is_contextual(e) for e in attack] == [False, False, False, True, True]
    murder = crime("ART7_1_A").elements
    assert [proof.is_contextual(e) for e in murder] == [False, True, True]
    genocide = crime("ART6A").elements
    assert [proof.is_contextual(e) for e in genocide] == [False, False, False, True]


def test_the_rows_are_the_elements_in_order_then_the_modes(pw: Proof) -> None:
    built = proof.matrix(pw.allegation)
    assert [row.kind for row in built.rows] == [
        "element",
        "element",
        "element",
        "contextual",
        "contextual",
        "mode",
    ]
    assert [row.text for row in built.rows[:5]] == crime("ART8_2_B_I").elements
    assert built.rows[5].mode == mode("25(3)(a)")
    assert [row.number for row in built.rows] == [1, 2, 3, 4, 5, None]


def test_liability_modes_exclude_the_mental_element(db: None) -> None:
    articles = list(proof.liability_modes().values_list("article", flat=True))
    assert "30" not in articles
    assert articles[0] == "25(3)(a)"
    assert {"28(a)", "28(b)"} <= set(articles)


# --- Coverage, gaps, contradicting evidence --------------------------------------------------


def test_an_allegation_without_evidence_is_all_gaps(ev: Evidence) -> None:
    built = proof.matrix(allegation_for(ev.world))
    assert (built.covered, built.total, built.coverage) == (0, 6, 0)
    assert len(built.gaps) == 6


def test_coverage_counts_the_rows_with_supporting_evidence(pw: Proof) -> None:
    w = pw.world
    report, intercept = new_items(w, 2)
    proof.link_create(
        allegation=pw.allegation,
        item=report,
        actor=w.investigator,
        element_index=1,
        assessment=Assessment.WEAK,
    )  # a second link to a row already covered adds nothing
    proof.link_create(
        allegation=pw.allegation,
        item=intercept,
        actor=w.investigator,
        mode=mode("25(3)(a)"),
        assessment=Assessment.MODERATE,
    )
    built = proof.matrix(pw.allegation)
    assert (built.covered, built.total, built.coverage) == (2, 6, 33)
    assert [row.number for row in built.gaps] == [1, 3, 4, 5]
    element_2 = built.rows[1]
    assert [(g.assessment, len(g.links)) for g in element_2.groups] == [
        ("strong", 1),
        ("moderate", 0),
        ("weak", 1),
        ("contradicting", 0),
    ]


def test_contradicting_evidence_covers_nothing_and_is_listed_for_disclosure(pw: Proof) -> None:
    w = pw.world
    (intercept,) = new_items(w, 1)
    link = proof.link_create(
        allegation=pw.allegation,
        item=intercept,
        actor=w.investigator,
        element_index=2,
        assessment=Assessment.CONTRADICTING,
        relevance="The order names a fuel depot as the target.",
    )
    built = proof.matrix(pw.allegation)
    assert built.rows[2].gap
    assert built.rows[2].contradicted
    assert built.coverage == 16  # 1 of 6 rows: element 2 only
    assert [(row.number, found) for row, found in built.contradicting] == [(3, link)]


def test_the_matrix_page_highlights_contradicting_evidence(client: Client, pw: Proof) -> None:
    w = pw.world
    (intercept,) = new_items(w, 1)
    proof.link_create(
        allegation=pw.allegation,
        item=intercept,
        actor=w.investigator,
        element_index=2,
        assessment=Assessment.CONTRADICTING,
        relevance="Names a fuel depot as the target",
    )
    client.force_login(w.analyst)
    page = client.get(reverse("proof:matrix", args=[pw.allegation.pk])).content.decode()
    assert "Must be disclosed" in page
    assert 'class="table-danger"' in page
    assert "Names a fuel depot as the target" in page
    assert "Gap" in page
    assert "Contextual element" in page
    assert "33% (2 of 6 rows supported)" not in page
    assert "16% (1 of 6 rows supported)" in page


def test_the_overview_shows_coverage_gaps_and_evidence_to_disclose(
    client: Client, pw: Proof
) -> None:
    w = pw.world
    (intercept,) = new_items(w, 1)
    proof.link_create(
        allegation=pw.allegation,
        item=intercept,
        actor=w.investigator,
        element_index=0,
        assessment=Assessment.CONTRADICTING,
    )
    client.force_login(w.analyst)
    page = client.get(reverse("proof:overview", args=[w.case.pk])).content.decode()
    assert reverse("proof:matrix", args=[pw.allegation.pk]) in page
    assert "16% (1 of 6 rows)" in page
    assert "Element 4 (contextual)" in page
    assert "Mode 25(3)(a)" in page
    assert "1 to disclose" in page
    assert w.suspect.person.full_name in page


# --- The unverified wording of amended crimes ------------------------------------------------


def test_an_amended_crime_is_flagged_as_pending_verification(client: Client, ev: Evidence) -> None:
    w = ev.world
    amended = allegation_for(w, "ART8_2_B_XXVII")
    verified = allegation_for(w, "ART8_2_B_I")
    client.force_login(w.investigator)
    flag = "wording pending verification"
    assert flag in client.get(reverse("proof:matrix", args=[amended.pk])).content.decode()
    assert "Wording pending verification" in (
        client.get(reverse("proof:matrix", args=[amended.pk])).content.decode()
    )
    assert flag not in client.get(reverse("proof:matrix", args=[verified.pk])).content.decode()
    overview = client.get(reverse("proof:overview", args=[w.case.pk])).content.decode()
    assert overview.count(flag) == 1
    assert proof.matrix(amended).wording_pending
    assert proof.matrix_rows_for_export(amended, w.investigator).wording_pending


# --- Versions: a link is never edited --------------------------------------------------------


def test_revising_a_link_keeps_the_old_version_and_records_who_and_why(pw: Proof) -> None:
    w = pw.world
    new = proof.link_revise(
        link=pw.link,
        actor=w.lead,
        reason="Re-read: the vendor did not see the whole market.",
        assessment=Assessment.MODERATE,
        locator="p. 2, § 3",
        relevance="The vendor saw civilians near her stall.",
    )
    old = EvidenceLink.objects.get(pk=pw.link.pk)
    assert (old.is_current, old.version, old.assessment, old.locator) == (
        False,
        1,
        Assessment.STRONG,
        "p. 2",
    )
    assert (new.is_current, new.version, new.supersedes, new.origin) == (True, 2, old, old)
    assert (new.changed_by, new.assessment, new.locator) == (w.lead, "moderate", "p. 2, § 3")
    assert new.reason == "Re-read: the vendor did not see the whole market."
    assert list(proof.link_history(old)) == [old, new]
    assert list(proof.link_history(new)) == [old, new]
    assert proof.matrix(pw.allegation).rows[1].groups[1].links == [new]
    event = AuditEvent.objects.filter(action="proof.link_revised").get()
    assert (event.actor, event.target_id, event.case_id) == (w.lead, str(new.pk), w.case.pk)


def test_the_history_page_shows_every_version_with_who_and_why(client: Client, pw: Proof) -> None:
    w = pw.world
    new = proof.link_revise(
        link=pw.link, actor=w.lead, reason="Weaker on a second reading", assessment="weak"
    )
    client.force_login(w.analyst)
    page = client.get(reverse("proof:link_history", args=[pw.link.pk])).content.decode()
    assert "Weaker on a second reading" in page
    assert w.lead.get_full_name() in page
    assert w.investigator.get_full_name() in page
    assert "Superseded" in page
    assert "Current" in page
    later = client.get(reverse("proof:link_history", args=[new.pk])).content.decode()
    assert later.count("<tr>") == page.count("<tr>") == 3  # the head and both versions
    assert "Weaker on a second reading" in later
    assert AuditEvent.objects.filter(action="proof.viewed", actor=w.analyst).exists()


def test_a_revision_needs_a_reason_and_a_change(pw: Proof) -> None:
    w = pw.world
    with pytest.raises(ValidationError) as error:
        proof.link_revise(link=pw.link, actor=w.lead, reason="  ", assessment="weak")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError, match="Nothing has changed"):
        proof.link_revise(
            link=pw.link,
            actor=w.lead,
            reason="Same again",
            assessment=pw.link.assessment,
            locator=pw.link.locator,
            relevance=pw.link.relevance,
        )
    assert EvidenceLink.objects.count() == 1


def test_an_old_version_cannot_be_revised_again(pw: Proof) -> None:
    w = pw.world
    proof.link_revise(link=pw.link, actor=w.lead, reason="Weaker", assessment="weak")
    with pytest.raises(ValidationError, match="changed since you opened it"):
        proof.link_revise(
            link=pw.link, actor=w.investigator, reason="Stronger", assessment="strong"
        )
    assert EvidenceLink.objects.count() == 2


def test_withdrawing_a_link_ends_its_history_and_reopens_the_gap(pw: Proof) -> None:
    w = pw.world
    last = proof.link_withdraw(link=pw.link, actor=w.lead, reason="Statement retracted")
    assert (last.version, last.withdrawn, last.is_current, last.reason) == (
        2,
        True,
        False,
        "Statement retracted",
    )
    assert last.assessment == Assessment.STRONG  # the assessment it had is kept
    assert not EvidenceLink.objects.filter(is_current=True).exists()
    assert proof.matrix(pw.allegation).rows[1].gap
    with pytest.raises(ValidationError, match="changed since you opened it"):
        proof.link_withdraw(link=last, actor=w.lead, reason="Again")
    with pytest.raises(ValidationError):
        proof.link_withdraw(link=pw.link, actor=w.lead, reason="")
    # The same evidence may be linked again afterwards: a new link with its own history.
    again = proof.link_create(
        allegation=pw.allegation,
        item=pw.ev.item,
        actor=w.investigator,
        element_index=1,
        locator="p. 2",
        assessment="weak",
    )
    assert again.version == 1


def test_the_database_refuses_to_edit_or_delete_a_link(pw: Proof) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        EvidenceLink.objects.filter(pk=pw.link.pk).update(assessment="weak")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM evidence_evidencelink WHERE id = %s", [pw.link.pk])
    assert EvidenceLink.objects.get(pk=pw.link.pk).assessment == Assessment.STRONG
    # The one change allowed: a version stops being current. It never becomes current again.
    EvidenceLink.objects.filter(pk=pw.link.pk).update(is_current=False)
    with pytest.raises(DatabaseError), transaction.atomic():
        EvidenceLink.objects.filter(pk=pw.link.pk).update(is_current=True)
    assert not EvidenceLink.objects.get(pk=pw.link.pk).is_current


def test_revising_and_withdrawing_through_the_pages(client: Client, pw: Proof) -> None:
    w = pw.world
    client.force_login(w.investigator)
    url = reverse("proof:link_revise", args=[pw.link.pk])
    refused = client.post(url, {"assessment": "weak", "locator": "p. 2", "reason": ""})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    response = client.post(url, {"assessment": "weak", "locator": "p. 3", "reason": "Misread"})
    assert response["Location"] == reverse("proof:matrix", args=[pw.allegation.pk])
    current = EvidenceLink.objects.get(is_current=True)
    assert (current.version, current.locator, current.reason) == (2, "p. 3", "Misread")
    stale = client.get(url).content.decode()
    assert "This version is no longer current" in stale
    withdraw = reverse("proof:link_withdraw", args=[current.pk])
    response = client.post(withdraw, {"reason": "Not about this market"})
    assert response.status_code == 302
    assert not EvidenceLink.objects.filter(is_current=True).exists()
    assert EvidenceLink.objects.count() == 3


# --- Bad input: a clear error, nothing saved -------------------------------------------------


def _refused(field: str, call: object, **kwargs: object) -> ValidationError:
    links, allegations = EvidenceLink.objects.count(), Allegation.objects.count()
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    assert field in error.value.message_dict, error.value.message_dict
    assert (EvidenceLink.objects.count(), Allegation.objects.count()) == (links, allegations)
    return error.value


def test_an_element_out_of_range_is_refused(pw: Proof) -> None:
    error = _refused(
        "target",
        proof.link_create,
        allegation=pw.allegation,
        item=pw.ev.item,
        actor=pw.world.investigator,
        element_index=5,
        assessment="strong",
    )
    assert "Art. 8(2)(b)(i) has no element 6." in error.message_dict["target"]


def test_an_element_of_a_different_crime_is_refused(pw: Proof) -> None:
    error = _refused(
        "target",
        proof.link_create,
        allegation=pw.allegation,
        item=pw.ev.item,
        actor=pw.world.investigator,
        element_index=0,
        element_crime=crime("ART7_1_A"),
        assessment="strong",
    )
    assert "art. 7(1)(a)" in error.message_dict["target"][0]


def test_a_mode_the_allegation_does_not_name_is_refused(pw: Proof) -> None:
    error = _refused(
        "target",
        proof.link_create,
        allegation=pw.allegation,
        item=pw.ev.item,
        actor=pw.world.investigator,
        mode=mode("28(a)"),
        assessment="strong",
    )
    assert "28(a) is not a mode of liability of this allegation." in error.message_dict["target"]


def test_a_link_needs_exactly_one_target(pw: Proof) -> None:
    for target in ({}, {"element_index": 0, "mode": mode("25(3)(a)")}):
        _refused(
            "target",
            proof.link_create,
            allegation=pw.allegation,
            item=pw.ev.item,
            actor=pw.world.investigator,
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
    error = _refused(
        "locator",
        proof.link_create,
        allegation=pw.allegation,
        item=pw.ev.item,
        actor=pw.world.investigator,
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
    common = {
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


# --- Pages: creating and linking -------------------------------------------------------------


def test_recording_an_allegation_through_the_page(client: Client, ev: Evidence) -> None:
    w = ev.world
    client.force_login(w.investigator)
    url = reverse("proof:create", args=[w.case.pk])
    page = client.get(url).content.decode()
    assert "Dragan Suspectovic" in page
    assert ">30 " not in page  # the mental element is not offered as a mode
    response = client.post(
        url,
        {
            "suspect": w.suspect.pk,
            "crime": crime("ART8_2_B_I").pk,
            "modes": [mode("25(3)(b)").pk],
            "incidents": [w.incident.pk],
            "status": "under_investigation",
        },
    )
    allegation = Allegation.objects.get()
    assert response["Location"] == reverse("proof:matrix", args=[allegation.pk])
    assert (allegation.suspect, allegation.created_by) == (w.suspect, w.investigator)
    assert list(allegation.incidents.all()) == [w.incident]
    assert AuditEvent.objects.filter(action="proof.allegation_created").count() == 1


def test_a_witness_is_not_offered_as_a_suspect(client: Client, ev: Evidence) -> None:
    client.force_login(ev.world.lead)
    page = client.get(reverse("proof:create", args=[ev.world.case.pk])).content.decode()
    assert ev.world.witness.pseudonym not in page


def test_linking_from_a_matrix_row_preselects_it(client: Client, pw: Proof) -> None:
    w = pw.world
    client.force_login(w.investigator)
    url = reverse("proof:link_create", args=[pw.allegation.pk])
    crime_pk = pw.allegation.crime_id
    page = client.get(f"{url}?element=3").content.decode()
    assert f'value="e:{crime_pk}:3" selected' in page
    page = client.get(f"{url}?mode={mode('25(3)(a)').pk}").content.decode()
    assert f'value="m:{mode("25(3)(a)").pk}" selected' in page
    (report,) = new_items(w, 1)
    response = client.post(
        url,
        {
            "item": report.pk,
            "target": f"e:{crime_pk}:3",
            "locator": "§ 4",
            "relevance": "Front line 40 km away",
            "assessment": "moderate",
        },
    )
    assert response.status_code == 302
    link = EvidenceLink.objects.get(item=report)
    assert (link.element_index, link.locator, link.changed_by) == (3, "§ 4", w.investigator)


def test_a_form_for_another_crime_does_not_link(client: Client, pw: Proof) -> None:
    client.force_login(pw.world.investigator)
    url = reverse("proof:link_create", args=[pw.allegation.pk])
    response = client.post(
        url,
        {
            "item": pw.ev.item.pk,
            "target": f"e:{crime('ART7_1_A').pk}:0",
            "assessment": "strong",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert EvidenceLink.objects.count() == 1


def test_a_duplicate_link_from_the_page_shows_the_error(client: Client, pw: Proof) -> None:
    client.force_login(pw.world.investigator)
    response = client.post(
        reverse("proof:link_create", args=[pw.allegation.pk]),
        {
            "item": pw.ev.item.pk,
            "target": f"e:{pw.allegation.crime_id}:1",
            "locator": "p. 2",
            "assessment": "weak",
        },
    )
    assert response.status_code == 200
    assert "already linked to this row at the same place" in response.content.decode()
    assert EvidenceLink.objects.count() == 1


def test_linking_from_the_item_side(client: Client, pw: Proof) -> None:
    w = pw.world
    client.force_login(w.investigator)
    url = reverse("proof:item_link", args=[pw.ev.item.pk])
    page = client.get(url).content.decode()
    assert "Dragan Suspectovic" in page
    response = client.post(
        url,
        {"target": f"{pw.allegation.pk}|m:{mode('25(3)(a)').pk}", "assessment": "weak"},
    )
    assert response["Location"] == reverse("evidence:detail", args=[pw.ev.item.pk])
    assert EvidenceLink.objects.filter(mode=mode("25(3)(a)"), item=pw.ev.item).exists()


def test_the_item_page_lists_the_elements_it_is_linked_to(client: Client, pw: Proof) -> None:
    w = pw.world
    client.force_login(w.investigator)
    page = client.get(reverse("evidence:detail", args=[pw.ev.item.pk])).content.decode()
    assert "The elements this item is linked to" in page
    assert "Element 2" in page
    assert "8(2)(b)(i)" in page
    assert "Dragan Suspectovic" in page
    assert reverse("proof:item_link", args=[pw.ev.item.pk]) in page
    client.force_login(w.analyst)
    page = client.get(reverse("evidence:detail", args=[pw.ev.item.pk])).content.decode()
    assert "Element 2" in page
    assert reverse("proof:item_link", args=[pw.ev.item.pk]) not in page


def test_reading_a_matrix_is_audited(client: Client, pw: Proof, break_glass: User) -> None:
    client.force_login(break_glass)
    client.get(reverse("proof:matrix", args=[pw.allegation.pk]))
    event = AuditEvent.objects.filter(action="proof.viewed").get()
    assert (event.actor, event.case_id, event.target_id) == (
        break_glass,
        pw.world.case.pk,
        str(pw.allegation.pk),
    )
    assert event.details == {"page": "matrix", "break_glass": True}


def test_the_csv_export_is_an_audited_attachment(client: Client, pw: Proof) -> None:
    w = pw.world
    client.force_login(w.analyst)
    response = client.get(reverse("proof:matrix_csv", args=[pw.allegation.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{w.case.reference}-allegation-{pw.allegation.pk}-proof.csv"'
    )
    rows = list(csv.reader(io.StringIO(text_of(response))))
    assert rows[0][:6] == ["Allegation", "Suspect", "Crime", "Row", "Kind", "Element or mode"]
    assert len(rows) == 1 + 6  # one line per row here: element 2 has a single link
    linked = next(r for r in rows if r[6] == pw.ev.item.exhibit)
    assert linked[1] == "Dragan Suspectovic"
    assert (linked[3], linked[7], linked[8], linked[-1]) == ("2", "p. 2", "Strong", "no")
    assert rows[-1][3:5] == ["25(3)(a)", "Mode of liability"]
    assert rows[-1][-1] == "yes"
    assert AuditEvent.objects.filter(action="proof.exported", actor=w.analyst).count() == 1


def test_a_formula_in_a_relevance_note_is_exported_as_text(client: Client, pw: Proof) -> None:
    proof.link_revise(
        link=pw.link,
        actor=pw.world.lead,
        reason="Note",
        assessment="strong",
        locator="p. 2",
        relevance='=HYPERLINK("http://evil")',
    )
    client.force_login(pw.world.lead)
    body = text_of(client.get(reverse("proof:matrix_csv", args=[pw.allegation.pk])))
    assert "'=HYPERLINK" in body


# --- Protected suspects ----------------------------------------------------------------------


def test_a_protected_suspect_appears_by_pseudonym_without_the_grant(
    client: Client, ev: Evidence
) -> None:
    w = ev.world
    suspect = protected_suspect(w)
    allegation = allegation_for(w, suspect=suspect)
    proof.link_create(
        allegation=allegation,
        item=ev.item,
        actor=w.investigator,
        element_index=0,
        assessment="strong",
    )
    pages = {
        "matrix": reverse("proof:matrix", args=[allegation.pk]),
        "overview": reverse("proof:overview", args=[w.case.pk]),
        "csv": reverse("proof:matrix_csv", args=[allegation.pk]),
        "create form": reverse("proof:create", args=[w.case.pk]),
        "edit form": reverse("proof:edit", args=[allegation.pk]),
        "item side form": reverse("proof:item_link", args=[ev.item.pk]),
        "item page": reverse("evidence:detail", args=[ev.item.pk]),
    }
    client.force_login(w.investigator)
    for name, url in pages.items():
        body = text_of(client.get(url))
        assert PROTECTED_SUSPECT not in body, f"{name} names the protected suspect"
        assert suspect.pseudonym in body, f"{name} does not show the pseudonym"
    section = proof.matrix_rows_for_export(allegation, w.investigator)
    assert section.suspect == suspect.pseudonym
    assert not AuditEvent.objects.filter(action="person.identity_viewed").exists()
    assert PROTECTED_SUSPECT not in str(
        list(AuditEvent.objects.values_list("target_label", "details"))
    )

    client.force_login(w.lead)  # recorded the person: holds the identity
    body = client.get(pages["matrix"]).content.decode()
    assert PROTECTED_SUSPECT in body
    viewed = AuditEvent.objects.filter(action="person.identity_viewed", actor=w.lead).get()
    assert viewed.target_id == str(suspect.pk)


# --- Queries ---------------------------------------------------------------------------------


def _link_many(pw: Proof, items: list[EvidenceItem], count: int, start: int = 0) -> None:
    w = pw.world
    assessments = list(Assessment.values)
    for n in range(start, start + count):
        proof.link_create(
            allegation=pw.allegation,
            item=items[n % len(items)],
            actor=w.investigator,
            element_index=n % 5,
            locator=f"p. {n + 10}",
            assessment=assessments[n % 4],
        )


def test_the_matrix_takes_as_many_queries_for_3_links_as_for_30(client: Client, pw: Proof) -> None:
    w = pw.world
    items = new_items(w, 3)
    client.force_login(w.lead)
    url = reverse("proof:matrix", args=[pw.allegation.pk])

    def measure() -> tuple[int, int, int]:
        with CaptureQueriesContext(connection) as selector:
            proof.matrix(pw.allegation)
        with CaptureQueriesContext(connection) as export:
            proof.matrix_rows_for_export(pw.allegation, w.lead)
        with CaptureQueriesContext(connection) as page:
            assert client.get(url).status_code == 200
        return len(selector), len(export), len(page)

    _link_many(pw, items, 2)  # with the fixture's link: 3
    few = measure()
    _link_many(pw, items, 27, start=2)  # 30
    assert EvidenceLink.objects.filter(is_current=True).count() == 30
    assert measure() == few
    assert few[0] == 4


def test_the_overview_takes_the_same_queries_for_1_and_5_allegations(
    client: Client, pw: Proof
) -> None:
    w = pw.world
    client.force_login(w.lead)
    url = reverse("proof:overview", args=[w.case.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _n in range(4):
        allegation_for(w)
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    assert len(one) == len(five)


# --- Demo data -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_proof_matrix_is_seeded_once() -> None:
    from devdata.demo.accounts import demo_users_seed
    from devdata.demo.cases import demo_cases_seed
    from devdata.demo.evidence import demo_evidence_seed
    from devdata.demo.proof import demo_proof_seed

    demo_users_seed()
    assert demo_proof_seed() == 0  # no demo case yet
    demo_cases_seed()
    demo_evidence_seed()
    assert demo_proof_seed() == 1
    counts = (Allegation.objects.count(), EvidenceLink.objects.count(), AuditEvent.objects.count())
    assert demo_proof_seed() == 0
    assert (
        Allegation.objects.count(),
        EvidenceLink.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    allegation = Allegation.objects.get()
    assert "Eastbrook" in allegation.case.title
    assert allegation.crime.code == "ART8_2_B_I"
    assert [m.article for m in allegation.modes.all()] == ["25(3)(b)"]
    assert allegation.incidents.count() == 2
    built = proof.matrix(allegation)
    assessments = {link.assessment for row in built.rows for link in row.links}
    assert {"strong", "moderate", "contradicting"} <= assessments
    assert built.gaps
    assert built.contradicting
    assert 0 < built.coverage < 100

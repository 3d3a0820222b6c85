"""The proof matrix: allegations, evidence linked to the elements of their crimes, coverage
and gaps, contradicting evidence to disclose, versioned links, and protected suspects."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from evidence import proof
from evidence.models import EvidenceLink
from tests.cases.conftest import SHARED_WORLD
from tests.evidence.conftest import (
    Assessment,
    Evidence,
    Proof,
    allegation_for,
    crime,
    mode,
    new_items,
)

pytestmark = SHARED_WORLD  # the case world is built once for the module


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

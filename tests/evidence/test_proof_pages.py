"""The proof matrix through its pages: recording an allegation, linking from a matrix row or
from an item, audited reading and CSV export, protected suspects by pseudonym, a constant
number of queries, and the demo matrix."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from evidence import proof
from evidence.models import Allegation, EvidenceItem, EvidenceLink
from tests.cases.conftest import SHARED_WORLD
from tests.conftest import text_of
from tests.evidence.conftest import (
    PROTECTED_SUSPECT,
    Assessment,
    Evidence,
    Proof,
    allegation_for,
    crime,
    mode,
    new_items,
    protected_suspect,
)

pytestmark = SHARED_WORLD  # the case world is built once for the module


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

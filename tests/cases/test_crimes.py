"""Crimes alleged: the Elements of Crimes loaded by a migration, idempotently, and the browser."""

from __future__ import annotations

import copy
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from cases.crimes.reference import crimes_load, load_reference
from cases.models import Crime, ModeOfLiability

UNVERIFIED = "ART8_2_B_XXVII"
PENDING_BADGE = "wording pending verification"
WARNING = "must not be presented as authoritative"


@pytest.fixture
def reader(client: Client, analyst: User) -> Client:
    client.force_login(analyst)
    return client


def test_the_migration_loaded_every_crime_and_mode_of_liability(db: None) -> None:
    counts = {
        category: Crime.objects.filter(category=category).count()
        for category in Crime.Category.values
    }
    assert counts == {"genocide": 5, "crimes_against_humanity": 16, "war_crimes": 81}
    assert ModeOfLiability.objects.count() == 9
    assert Crime.objects.get(code="ART8_2_B_XX").elements == []
    assert not Crime.objects.get(code=UNVERIFIED).verified_from_source
    assert Crime.objects.filter(verified_from_source=False).count() == 7


def test_the_loaded_text_is_the_reference_text(db: None) -> None:
    data = load_reference()
    first = data["crimes"][0]
    crime = Crime.objects.get(code=first["code"])
    assert crime.elements == first["elements"]
    assert crime.footnotes == first["footnotes_2011_edition"]
    assert crime.position == 0
    mode = ModeOfLiability.objects.get(article="30")
    assert mode.kind == "mental_element"
    assert mode.source_ref  # the file calls it "source" for the modes
    assert list(Crime.objects.values_list("code", flat=True)) == [c["code"] for c in data["crimes"]]


def test_loading_again_creates_and_updates_nothing(db: None) -> None:
    assert crimes_load(load_reference()) == (0, 0)
    assert Crime.objects.count() == 102
    assert ModeOfLiability.objects.count() == 9


def test_a_changed_row_is_restored_by_the_loader(db: None) -> None:
    Crime.objects.filter(code="ART6A").update(title="Tampered", elements=["1. Wrong."])
    ModeOfLiability.objects.filter(article="30").update(summary="Tampered")
    assert crimes_load(load_reference()) == (0, 2)
    crime = Crime.objects.get(code="ART6A")
    assert crime.title == "Genocide by killing"
    assert crime.elements[0] == "1. The perpetrator killed one or more persons."
    assert ModeOfLiability.objects.get(article="30").summary != "Tampered"
    assert Crime.objects.filter(code="ART6A").count() == 1


def test_a_crime_new_in_the_file_is_created_without_duplicating_the_rest(db: None) -> None:
    data = copy.deepcopy(load_reference())
    data["crimes"][0]["title"] = "Renamed in a new edition"
    data["crimes"].append({**data["crimes"][0], "code": "ART6Z", "article": "6(z)"})
    assert crimes_load(data) == (1, 1)
    assert Crime.objects.count() == 103
    assert Crime.objects.get(code="ART6A").title == "Renamed in a new edition"


def test_the_command_prints_what_it_did(db: None) -> None:
    Crime.objects.filter(code="ART7_1_A").update(title="Tampered")
    out = StringIO()
    call_command("load_crimes", stdout=out)
    assert "0 created, 1 updated" in out.getvalue()
    assert Crime.objects.get(code="ART7_1_A").title != "Tampered"


def test_the_browser_lists_the_crimes_by_category(reader: Client) -> None:
    html = reader.get("/crimes/").content.decode()
    genocide = html.index(">Genocide</h2>")
    humanity = html.index("Crimes against humanity</h2>")
    war = html.index("War crimes</h2>")
    assert genocide < html.index("Genocide by killing") < humanity < war
    assert "102 crimes" in html
    assert "War crimes: 81 crimes" in html
    assert "/crimes/ART6A/" in html


def test_the_category_filter_shows_only_that_category(reader: Client) -> None:
    html = reader.get("/crimes/", {"category": "genocide"}).content.decode()
    assert "5 crimes" in html
    assert "Genocide by killing" in html
    assert "War crimes</h2>" not in html
    assert "Crimes against humanity</h2>" not in html


def test_the_search_matches_title_article_and_statute_text(reader: Client) -> None:
    html = reader.get("/crimes/", {"q": "killing"}).content.decode()
    assert "Genocide by killing" in html
    assert "Crime against humanity of murder" not in html
    html = reader.get("/crimes/", {"q": "7(1)(a)"}).content.decode()
    assert "Crime against humanity of murder" in html
    assert "1 crime" in html
    html = reader.get("/crimes/", {"q": "Killing members of the group"}).content.decode()
    assert "Genocide by killing" in html


def test_a_search_that_matches_nothing_says_so(reader: Client) -> None:
    html = reader.get("/crimes/", {"q": "no-such-crime-CANARY"}).content.decode()
    assert "No crimes match." in html


def test_an_unknown_category_is_an_empty_result_not_an_error(reader: Client) -> None:
    response = reader.get("/crimes/", {"category": "aggression"})
    assert response.status_code == 200
    assert "No crimes match." in response.content.decode()


def test_only_unverified_crimes_carry_the_pending_verification_badge(reader: Client) -> None:
    html = reader.get("/crimes/", {"category": "war_crimes"}).content.decode()
    assert html.count(PENDING_BADGE) == 7
    html = reader.get("/crimes/", {"category": "genocide"}).content.decode()
    assert PENDING_BADGE not in html


def test_an_unverified_crime_warns_that_its_wording_is_reconstructed(reader: Client) -> None:
    html = reader.get(f"/crimes/{UNVERIFIED}/").content.decode()
    assert "Wording pending verification" in html
    assert "reconstructed" in html
    assert WARNING in html
    assert "The perpetrator employed a weapon which uses microbial" in html


def test_a_verified_crime_shows_its_elements_footnotes_and_source(reader: Client) -> None:
    response = reader.get("/crimes/ART6A/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Genocide by killing" in html
    assert "6(a)" in html
    assert "Killing members of the group;" in html
    assert "1. The perpetrator killed one or more persons." in html
    assert "4. The conduct took place in the context of a manifest pattern" in html
    assert "Footnote 2" in html
    assert "interchangeable with the term" in html
    assert "ICC-PIDS-LT-03-002/11_Eng" in html
    assert WARNING not in html
    assert PENDING_BADGE not in html.lower()


def test_a_crime_without_adopted_elements_says_so(reader: Client) -> None:
    html = reader.get("/crimes/ART8_2_B_XX/").content.decode()
    assert "No elements have been adopted for this crime." in html


def test_an_unknown_crime_is_a_404(reader: Client) -> None:
    assert reader.get("/crimes/ART99/").status_code == 404


def test_the_modes_of_liability_label_their_summaries_as_paraphrases(reader: Client) -> None:
    html = reader.get("/crimes/modes-of-liability/").content.decode()
    assert "plain-language paraphrase, not official text" in html
    assert "Command responsibility of military comma" in html
    assert "Commits such a crime, whether as an individual, jointly with another" in html
    assert "Mental element" in html


def test_the_browser_is_read_only(reader: Client) -> None:
    assert reader.post("/crimes/").status_code == 405
    assert reader.post("/crimes/ART6A/").status_code == 405

"""Every search box: a query of any length is answered (200, with a message, never a 500),
and every search applied writes its audit row (``search.performed``: area, query, filters,
number of results), which holds no name of a protected person."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from audit.services import search_hmac, texts_revealing_protected_names
from cases.models import PersonName
from tests.cases.conftest import SHARED_WORLD, SUSPECT_NAME, WITNESS_NAME, World

pytestmark = SHARED_WORLD  # the case world is built once for the module

TOO_LONG = " ".join(["shelling"] * 1500)
MESSAGE = "A search can be at most 200 characters long."


@dataclass(frozen=True)
class Search:
    url: Callable[[World], str]
    user: Callable[[World], User]
    field: str = "q"
    query: str = "market"


SEARCHES: dict[str, Search] = {
    "cases": Search(lambda w: reverse("cases:list"), lambda w: w.lead),
    "evidence": Search(lambda w: reverse("evidence:register", args=[w.case.pk]), lambda w: w.lead),
    "persons": Search(
        lambda w: reverse("cases:person_link", args=[w.case.pk]),
        lambda w: w.investigator,
        query="Colonel",
    ),
    "crimes": Search(lambda w: reverse("crimes:list"), lambda w: w.analyst, query="civilians"),
    "partners": Search(lambda w: reverse("partners:directory"), lambda w: w.lead),
    "audit": Search(
        lambda w: reverse("audit:list"), lambda w: w.unit_admin, field="action", query="case."
    ),
}


def _searches() -> list[dict]:
    return list(
        AuditEvent.objects.filter(action="search.performed")
        .order_by("id")
        .values_list("details", flat=True)
    )


@pytest.mark.parametrize("area", sorted(SEARCHES))
def test_a_fifteen_hundred_word_query_is_refused_with_a_message(
    client: Client, world: World, area: str
) -> None:
    search = SEARCHES[area]
    client.force_login(search.user(world))
    response = client.get(search.url(world), {search.field: TOO_LONG}, follow=True)
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert _searches() == []  # nothing was searched


@pytest.mark.parametrize("area", sorted(SEARCHES))
def test_every_search_is_audited_with_its_query_filters_and_count(
    client: Client, world: World, area: str
) -> None:
    search = SEARCHES[area]
    client.force_login(search.user(world))
    assert client.get(search.url(world)).status_code == 200
    assert _searches() == []  # a list without a query or a filter is not a search
    response = client.get(search.url(world), {search.field: search.query})
    assert response.status_code == 200
    [details] = _searches()
    assert details["area"] == area
    assert isinstance(details["results"], int)
    if area == "persons":  # names are searched: the trail keeps an HMAC, never the name
        assert details["query_withheld"] is True
        assert details["query_hmac"] == search_hmac(search.query)
        assert search.query not in str(details)
    elif search.field == "q":
        assert details["query"] == search.query
        assert details["filters"] == {}
    else:
        assert details["filters"] == {search.field: search.query}


def test_a_filter_alone_is_a_search_and_the_count_is_what_the_page_found(
    client: Client, world: World
) -> None:
    client.force_login(world.lead)
    client.get(reverse("cases:list"), {"status": "intake", "page": "1", "order": "title"})
    [details] = _searches()
    assert details == {"area": "cases", "query": "", "filters": {"status": "intake"}, "results": 1}
    client.get(reverse("cases:list"), {"status": "closed"})
    assert _searches()[-1]["results"] == 0


# The witness's name is held by the world's lead (who protected them); the unit admin, who
# reads the trail, holds no grant. Each search area, searched by a holder of the name.
HOLDER_SEARCHES: dict[str, Search] = {
    **{area: Search(s.url, lambda w: w.lead) for area, s in SEARCHES.items() if area != "audit"},
    "audit": Search(lambda w: reverse("audit:list"), lambda w: w.unit_admin, field="actor"),
}


def _reveals_the_witness(details: dict) -> bool:
    text = json.dumps(details, ensure_ascii=False).casefold()
    return any(word.casefold() in text for word in WITNESS_NAME.split())


@pytest.mark.parametrize("area", sorted(HOLDER_SEARCHES))
def test_a_protected_name_searched_by_a_holder_is_withheld_from_the_trail(
    client: Client, world: World, area: str
) -> None:
    search = HOLDER_SEARCHES[area]
    client.force_login(search.user(world))
    assert client.get(search.url(world), {search.field: WITNESS_NAME}).status_code == 200
    [details] = _searches()
    assert not _reveals_the_witness(details)
    assert details["query_withheld"] is True
    assert details["area"] == area
    assert isinstance(details["results"], int)
    if search.field == "q":
        assert details["query_hmac"] == search_hmac(WITNESS_NAME)
        assert details["query_hmac"] == search_hmac(WITNESS_NAME.upper())  # case-folded
        # Keyed: hashing a list of names does not find it.
        assert details["query_hmac"] != hashlib.sha256(WITNESS_NAME.casefold().encode()).hexdigest()
    else:
        assert details["filters_hmac"] == {search.field: search_hmac(WITNESS_NAME)}
        assert details["filters"] == {}


@pytest.mark.parametrize(
    "query",
    ["haddad", "shelling near CANARY", "Umm-Yusuf", "the YUSUF family"],
)
def test_any_word_of_a_protected_name_or_alias_in_a_query_withholds_it(
    client: Client, world: World, query: str
) -> None:
    PersonName.objects.create(person=world.witness.person, name="Umm Yusuf", kind="alias")
    client.force_login(world.lead)
    client.get(reverse("cases:list"), {"q": query, "status": "intake"})
    [details] = _searches()
    assert "query" not in details
    assert query.casefold() not in json.dumps(details).casefold()
    assert details["query_withheld"] is True
    assert details["query_hmac"] == search_hmac(query)
    assert details["filters"] == {"status": "intake"}  # the filters are kept


@pytest.mark.parametrize("query", ["market shelling", SUSPECT_NAME, "Za Ha"])
def test_a_search_of_ordinary_words_is_stored_as_typed(
    client: Client, world: World, query: str
) -> None:
    # An unprotected suspect's name, and words too short to say anything, are not withheld.
    client.force_login(world.lead)
    client.get(reverse("cases:list"), {"q": query})
    [details] = _searches()
    assert sorted(details) == ["area", "filters", "query", "results"]  # nothing withheld
    assert details["query"] == query


def test_the_audit_page_shows_a_withheld_search_without_its_text(
    client: Client, world: World
) -> None:
    client.force_login(world.lead)
    client.get(reverse("cases:list"), {"q": WITNESS_NAME})
    client.force_login(world.unit_admin)
    page = client.get(reverse("audit:list"), {"action": "search."}).content.decode()
    assert "search.performed" in page
    assert "query_withheld" in page
    assert not any(word in page for word in WITNESS_NAME.split())


def test_which_texts_reveal_a_protected_name_is_one_query(
    world: World, django_assert_num_queries: Callable
) -> None:
    texts = ["market", "Haddad", "intake", SUSPECT_NAME, "", "ab"]
    with django_assert_num_queries(1):
        assert texts_revealing_protected_names(texts) == {"Haddad"}
    with django_assert_num_queries(0):
        assert texts_revealing_protected_names(["", "ab"]) == set()

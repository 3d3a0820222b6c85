"""Every search box: a query of any length is answered (200, with a message, never a 500),
and every search applied writes its audit row (``search.performed``: area, query, filters,
number of results)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from tests.cases.conftest import World

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
    if area == "persons":  # names are searched: the trail keeps a digest, never the name
        digest = hashlib.sha256(search.query.casefold().encode()).hexdigest()
        assert details["query_sha256"] == digest
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

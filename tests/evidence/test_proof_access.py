"""The access matrix of every proof-matrix URL: who gets a page, a 403 or a 404.

Readers of a case (lead, investigator, analyst, break-glass) read its allegations and links;
contributors (lead, investigator) change them, read-only members get a 403; anyone who may not
see the case gets a 404 (its existence is not confirmed), whatever their role in the unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from cases import permissions as P
from evidence import proof
from tests.cases.conftest import ACTORS, SHARED_WORLD, codes, contribute, matrix_actor
from tests.evidence.conftest import Proof
from tests.responses import body as body_of
from tests.urlwalk import all_routes

pytestmark = SHARED_WORLD  # the case world is built once for the module

NOT_ALLOWED = "You are not allowed to do this"
NOT_FOUND = "Page not found"


@dataclass(frozen=True)
class Expect:
    kwargs: Callable[[Proof], dict[str, int]]
    codes: dict[str, int]
    # What a reader sees on a 200 page.
    shows: Callable[[Proof], list[str]] = field(default=lambda p: [p.world.case.reference])


def case(p: Proof) -> dict[str, int]:
    return {"case_pk": p.world.case.pk}


def allegation(p: Proof) -> dict[str, int]:
    return {"pk": p.allegation.pk}


def item(p: Proof) -> dict[str, int]:
    return {"item_pk": p.ev.item.pk}


def link(p: Proof) -> dict[str, int]:
    return {"pk": p.link.pk}


def element_2(p: Proof) -> list[str]:
    return [p.allegation.crime.elements[1], p.ev.item.exhibit]


PROOF_ROUTES: dict[str, Expect] = {
    "proof:overview": Expect(case, codes(), lambda p: ["Allegation #", "Dragan Suspectovic"]),
    "proof:create": Expect(case, contribute(), lambda p: ["Dragan Suspectovic"]),
    "proof:matrix": Expect(allegation, codes(), element_2),
    "proof:edit": Expect(allegation, contribute(), lambda p: ["Dragan Suspectovic"]),
    "proof:matrix_csv": Expect(allegation, codes(), element_2),
    "proof:link_create": Expect(allegation, contribute(), lambda p: [p.ev.item.exhibit]),
    "proof:item_link": Expect(item, contribute(), lambda p: [p.ev.item.exhibit]),
    "proof:link_revise": Expect(link, contribute(), lambda p: ["Record the new version"]),
    "proof:link_withdraw": Expect(link, contribute(), lambda p: ["Withdraw the link"]),
    "proof:link_history": Expect(link, codes(), lambda p: ["p. 2", p.ev.item.exhibit]),
}
WRITES = sorted(name for name, e in PROOF_ROUTES.items() if e.codes["analyst"] == 403)


def test_every_proof_url_is_in_the_matrix() -> None:
    routes = {r.name for r in all_routes() if r.name.startswith("proof:")}
    assert routes == set(PROOF_ROUTES)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(PROOF_ROUTES))
def test_proof_url_access(
    client: Client, pw: Proof, request: pytest.FixtureRequest, name: str, actor: str
) -> None:
    expect = PROOF_ROUTES[name]
    url = reverse(name, kwargs=expect.kwargs(pw))
    client.force_login(matrix_actor(pw.world, actor, request))
    response = client.get(url)
    body = body_of(response)
    text = body.decode()
    assert response.status_code == expect.codes[actor], f"{actor} on {url}"
    if response.status_code == 200:
        for shown in expect.shows(pw):
            assert shown in text, f"{actor} on {url} does not see {shown!r}"
    elif response.status_code == 403:
        assert NOT_ALLOWED in text
    else:
        assert NOT_FOUND in text
        for secret in (pw.world.case.title, pw.world.case.reference, pw.ev.item.exhibit):
            assert secret not in text, f"{actor} on {url} learns {secret!r}"


@pytest.mark.parametrize("actor", ["analyst", "break_glass"])
@pytest.mark.parametrize("name", WRITES)
def test_read_only_members_cannot_post_either(
    client: Client, pw: Proof, request: pytest.FixtureRequest, name: str, actor: str
) -> None:
    client.force_login(matrix_actor(pw.world, actor, request))
    response = client.post(
        reverse(name, kwargs=PROOF_ROUTES[name].kwargs(pw)),
        {"reason": "x", "assessment": "weak", "target": "", "status": "dropped"},
    )
    assert response.status_code == 403
    pw.link.refresh_from_db()
    assert pw.link.is_current


@pytest.mark.parametrize("name", sorted(PROOF_ROUTES))
def test_anonymous_users_are_sent_to_login(client: Client, pw: Proof, name: str) -> None:
    expect = PROOF_ROUTES[name]
    response = client.get(reverse(name, kwargs=expect.kwargs(pw)))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", sorted(PROOF_ROUTES))
def test_an_id_that_does_not_exist_is_a_404_like_a_hidden_one(
    client: Client, pw: Proof, name: str
) -> None:
    route = next(r for r in all_routes() if r.name == name)
    client.force_login(pw.world.lead)
    response = client.get(route.url())
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()


def test_a_read_only_member_sees_no_buttons_that_change_the_matrix(
    client: Client, pw: Proof
) -> None:
    client.force_login(pw.world.analyst)
    page = client.get(reverse("proof:matrix", args=[pw.allegation.pk])).content.decode()
    assert reverse("proof:link_history", args=[pw.link.pk]) in page
    for name, args in (
        ("proof:edit", [pw.allegation.pk]),
        ("proof:link_create", [pw.allegation.pk]),
        ("proof:link_revise", [pw.link.pk]),
        ("proof:link_withdraw", [pw.link.pk]),
    ):
        assert reverse(name, args=args) not in page
    overview = client.get(reverse("proof:overview", args=[pw.world.case.pk])).content.decode()
    assert reverse("proof:create", args=[pw.world.case.pk]) not in overview


def test_loading_an_allegation_or_a_link_for_a_page_costs_two_queries(
    pw: Proof, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(2):
        allegation, access = proof.allegation_access(pw.world.analyst, pw.allegation.pk)
    assert (allegation, access.case) == (pw.allegation, pw.world.case)
    with django_assert_max_num_queries(2):
        link, access = proof.link_access(pw.world.investigator, pw.link.pk, P.CONTRIBUTE)
    assert (link, access.case) == (pw.link, pw.world.case)
    with pytest.raises(Http404):
        proof.link_access(pw.world.colleague, pw.link.pk)

"""The access matrix of every partners URL that names one object."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from tests.partners.conftest import ACTORS, Expect, Partners, actor_of
from tests.urlwalk import all_routes

STAFF_READ = {
    "unit_admin": 200,
    "lead": 200,
    "investigator": 200,
    "analyst": 200,
    "colleague": 200,
    "liaison_a": 404,
    "liaison_b": 404,
    "trainee": 404,
}
# Management pages answer 403 to every non-admin, for any id: nothing is revealed.
ADMIN_ONLY = {**{a: 403 for a in ACTORS}, "unit_admin": 200}
CASE_READ = {
    "unit_admin": 404,
    "lead": 200,
    "investigator": 200,
    "analyst": 200,
    "colleague": 404,
    "liaison_a": 404,
    "liaison_b": 404,
    "trainee": 404,
}


def org(p: Partners) -> dict[str, object]:
    return {"pk": p.org_a.pk}


def agreement(p: Partners) -> dict[str, object]:
    p.agreement_a.document.save("mou.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    return {"pk": p.agreement_a.pk}


PARTNER_ROUTES: dict[str, Expect] = {
    "partners:detail": Expect("get", org, STAFF_READ),
    "partners:edit": Expect("get", org, ADMIN_ONLY),
    "partners:contact_add": Expect("get", org, ADMIN_ONLY),
    "partners:agreement_add": Expect("get", org, ADMIN_ONLY),
    "partners:invite": Expect("get", org, ADMIN_ONLY),
    "partners:agreement_document": Expect(
        "get", agreement, {**STAFF_READ, "liaison_a": 403, "liaison_b": 403, "trainee": 403}
    ),
    "partners:case_shares": Expect("get", lambda p: {"case_pk": p.world.case.pk}, CASE_READ),
    "partners:share_create": Expect(
        "get",
        lambda p: {"case_pk": p.world.case.pk},
        {**CASE_READ, "investigator": 403, "analyst": 403},
    ),
    "partners:share_revoke": Expect(
        "post",
        lambda p: {"pk": p.share_a.pk},
        {**CASE_READ, "lead": 302, "investigator": 403, "analyst": 403},
    ),
    "partners:shared_detail": Expect(
        "get",
        lambda p: {"pk": p.share_a.pk},
        {**{a: 404 for a in ACTORS}, "liaison_a": 200},
    ),
}


def test_every_partners_url_with_an_id_is_in_the_matrix() -> None:
    with_ids = {
        r.name
        for r in all_routes()
        if r.name.startswith("partners:") and set(r.converters) & {"pk", "case_pk"}
    }
    assert with_ids == set(PARTNER_ROUTES)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(PARTNER_ROUTES))
def test_partner_url_access(client: Client, partners: Partners, name: str, actor: str) -> None:
    expect = PARTNER_ROUTES[name]
    url = reverse(name, kwargs=expect.kwargs(partners))
    client.force_login(actor_of(partners, actor))
    response = getattr(client, expect.method)(url)
    assert response.status_code == expect.codes[actor], f"{actor} on {url}"
    if response.status_code == 404:
        body = response.content.decode()
        assert partners.org_a.name not in body
        assert partners.world.case.title not in body


@pytest.mark.parametrize("name", sorted(PARTNER_ROUTES))
def test_anonymous_users_are_sent_to_login(client: Client, partners: Partners, name: str) -> None:
    expect = PARTNER_ROUTES[name]
    response = getattr(client, expect.method)(reverse(name, kwargs=expect.kwargs(partners)))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

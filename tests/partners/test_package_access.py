"""The access matrix of every case package URL that names one object."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from partners.models import Package
from partners.packages import services
from partners.packages.selectors import package_load
from tests.partners.conftest import ACTORS, Expect, Partners, actor_of
from tests.urlwalk import all_routes

NOBODY = dict.fromkeys(ACTORS, 404)
CASE_TEAM = {**NOBODY, "lead": 200, "investigator": 200, "analyst": 200}
SEES_PACKAGE = {**CASE_TEAM, "liaison_a": 200}
LEAD_ACTS = {**NOBODY, "lead": 200, "investigator": 403, "analyst": 403, "liaison_a": 403}


def _package(p: Partners, status: str = Package.Status.REQUESTED) -> Package:
    package = services.package_request(
        actor=p.liaison_a,
        case=p.world.case,
        share=p.share_a,
        purpose=Package.Purpose.WARRANT,
        scope=services.Scope(sections=list(Package.Section.values)),
        language="en",
    )
    if status == Package.Status.READY:
        name = default_storage.save(f"packages/{package.uid}.pdf", ContentFile(b"%PDF-1.7"))
        Package.objects.filter(pk=package.pk).update(
            status=status,
            decided_by=p.world.lead,
            pdf=name,
            sha256="b" * 64,
            expires_at=timezone.now() + timedelta(days=14),
        )
        package.recipients.set([p.liaison_a])
    elif status == Package.Status.FAILED:
        Package.objects.filter(pk=package.pk).update(
            status=status, decided_by=p.world.lead, error="WeasyPrint ran out of time"
        )
    return package


def requested(p: Partners) -> dict[str, object]:
    return {"pk": _package(p).pk}


def ready(p: Partners) -> dict[str, object]:
    return {"pk": _package(p, Package.Status.READY).pk}


def failed(p: Partners) -> dict[str, object]:
    return {"pk": _package(p, Package.Status.FAILED).pk}


PACKAGE_ROUTES: dict[str, Expect] = {
    "packages:case": Expect("get", lambda p: {"case_pk": p.world.case.pk}, CASE_TEAM),
    "packages:request_case": Expect(
        "get",
        lambda p: {"case_pk": p.world.case.pk},
        {**CASE_TEAM, "investigator": 403, "analyst": 403},
    ),
    "packages:request_share": Expect(
        "get", lambda p: {"share_pk": p.share_a.pk}, {**NOBODY, "liaison_a": 200}
    ),
    "packages:detail": Expect("get", requested, SEES_PACKAGE),
    "packages:progress": Expect("get", requested, SEES_PACKAGE),
    "packages:decide": Expect("get", requested, LEAD_ACTS),
    "packages:revoke": Expect("get", ready, LEAD_ACTS),
    "packages:download": Expect("get", ready, SEES_PACKAGE),
    "packages:retry": Expect("post", failed, {**LEAD_ACTS, "lead": 302}),
}


def test_every_package_url_with_an_id_is_in_the_matrix() -> None:
    with_ids = {
        r.name
        for r in all_routes()
        if r.name.startswith("packages:") and set(r.converters) & {"pk", "case_pk", "share_pk"}
    }
    assert with_ids == set(PACKAGE_ROUTES)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(PACKAGE_ROUTES))
def test_package_url_access(client: Client, partners: Partners, name: str, actor: str) -> None:
    expect = PACKAGE_ROUTES[name]
    url = reverse(name, kwargs=expect.kwargs(partners))
    client.force_login(actor_of(partners, actor))
    response = getattr(client, expect.method)(url)
    assert response.status_code == expect.codes[actor], f"{actor} on {url}"
    if response.status_code == 404:
        body = response.content.decode()
        assert partners.world.case.title not in body
        assert "PKG-" not in body


@pytest.mark.parametrize("name", sorted(PACKAGE_ROUTES))
def test_anonymous_users_are_sent_to_login(client: Client, partners: Partners, name: str) -> None:
    expect = PACKAGE_ROUTES[name]
    response = getattr(client, expect.method)(reverse(name, kwargs=expect.kwargs(partners)))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("actor", ACTORS)
def test_loading_a_package_costs_at_most_two_queries_and_follows_visible_to(
    partners: Partners, actor: str, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    """The page's loader reads a package for its case team (the package with the user's team
    role, then their permissions on the case) or its liaison in at most two queries (the
    user's roles are read once per request, before), and finds exactly the packages that
    ``Package.objects.visible_to`` holds for the user: 404 for every other."""
    package = _package(partners)
    user = User.objects.get(pk=actor_of(partners, actor).pk)
    assert user.roles is not None  # read once per request (the navigation reads them)
    visible = Package.objects.visible_to(user).filter(pk=package.pk).exists()
    assert visible is (SEES_PACKAGE[actor] == 200), actor
    if not visible:
        with pytest.raises(Http404):
            package_load(user, package.pk)
        return
    with django_assert_max_num_queries(2):
        loaded, team_access = package_load(user, package.pk)
    assert loaded.pk == package.pk
    if actor != "liaison_a":
        assert team_access is not None
        assert team_access.role is not None

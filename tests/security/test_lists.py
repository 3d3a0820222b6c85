"""ASVS V8 (data access through collections): lists, searches, counts, the person search of the
registry, CSV and print outputs show only what the viewer may see. The victims' records
carry canary strings; no attacker's page, search or export contains one."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.cases.conftest import SHARED_WORLD, open_case
from tests.conftest import text_of
from tests.factories import UserFactory
from tests.responses import body
from tests.security.conftest import ATTACKERS, CANARY, CASE_CANARY, NOTE_CANARY, Hostile
from tests.test_access import MATRIX
from tests.urlwalk import all_routes

pytestmark = SHARED_WORLD  # the case world is built once for the module

CANARIES = (CANARY, CASE_CANARY, NOTE_CANARY)
# Words of the victims' records that are not canaries themselves (pages echo the query).
SEARCHES = ("Haddad", "market", "Testimony")
# The pages that search (a ``q`` parameter).
SEARCHING = {"cases:list", "partners:directory", "meetings:list", "packages:list", "audit:list"}


def _leaks(body: str) -> list[str]:
    return [c for c in CANARIES if c in body]


def test_no_list_search_count_or_export_of_an_attacker_shows_the_victims_records(
    hostile: Hostile,
) -> None:
    pages = [
        (route.name, route.url())
        for route in all_routes()
        if not route.converters
        and route.name in MATRIX
        and not MATRIX[route.name].public
        and MATRIX[route.name].method == "get"
    ]
    colleague = hostile.world.colleague  # an investigator of the unit, not on the case
    failures = []
    for attacker in (*(a for a in ATTACKERS if a != "anonymous"), "colleague"):
        client = Client()
        user = colleague if attacker == "colleague" else hostile.attacker(attacker)
        assert user is not None  # the anonymous visitor is left out above
        client.force_login(user)
        for name, page in pages:
            urls = [page] + ([f"{page}?q={q}" for q in SEARCHES] if name in SEARCHING else [])
            for url in urls:
                response = client.get(url)
                if response.status_code != 200:
                    continue
                content = body(response)
                if leaked := _leaks(content.decode(errors="replace")):
                    failures.append(f"{attacker} {url}: {leaked}")
    assert not failures, "\n".join(failures)
    # The same pages do show the canaries to those entitled to them.
    client = Client()
    client.force_login(hostile.world.lead)
    assert CASE_CANARY in client.get(reverse("cases:list") + "?q=market").content.decode()
    assert CASE_CANARY in client.get(reverse("accounts:notifications")).content.decode()


def test_a_case_member_without_the_identity_grant_never_reads_the_witness_name(
    hostile: Hostile,
) -> None:
    w = hostile.world
    client = Client()
    client.force_login(w.analyst)  # on the team, read-only, no identity grant
    urls = [
        reverse("cases:detail", args=[w.case.pk]),
        reverse("cases:persons", args=[w.case.pk]),
        reverse("cases:persons_csv", args=[w.case.pk]),
        reverse("cases:person_detail", args=[w.case.pk, w.witness.pk]),
        reverse("cases:timeline", args=[w.case.pk]),
        reverse("cases:activity", args=[w.case.pk]),
        reverse("cases:incidents", args=[w.case.pk]),
        reverse("evidence:register", args=[w.case.pk]),
        reverse("proof:overview", args=[w.case.pk]),
        reverse("proof:matrix", args=[hostile.link.allegation.pk]),
        reverse("proof:matrix_csv", args=[hostile.link.allegation.pk]),
        reverse("packages:case", args=[w.case.pk]),
        reverse("packages:detail", args=[hostile.package.pk]),
        reverse("cases:list") + "?q=Zaynab",
        reverse("dashboard"),
    ]
    seen = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        content = body(response)
        seen[url] = CANARY in content.decode(errors="replace")
    assert not any(seen.values()), [u for u, leaked in seen.items() if leaked]
    # Searching for the witness's real name does not find the case either.
    found = client.get(reverse("cases:list") + "?q=Zaynab").content.decode()
    assert w.case.reference not in found
    # ...whereas the lead, who holds the identity, reads it.
    client.force_login(w.lead)
    assert CANARY in text_of(client.get(reverse("cases:persons_csv", args=[w.case.pk])))


def test_the_person_search_of_another_case_does_not_offer_a_protected_witness(
    hostile: Hostile,
) -> None:
    from accounts.roles import Role

    other_lead = UserFactory(username="h_other_lead", roles=[Role.CASE_LEAD])
    other = open_case(other_lead, title="Another case")
    client = Client()
    client.force_login(other_lead)
    for q in ("Zaynab", "Haddad", "W-0001"):
        page = client.get(reverse("cases:person_link", args=[other.pk]), {"q": q})
        assert page.status_code == 200
        assert not _leaks(page.content.decode()), q

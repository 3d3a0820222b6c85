"""ASVS V8 (authorisation is checked on every request): removing a team member, a share or an
identity grant takes effect on the very next request, and on a queued job when it runs."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from cases import services as case_services
from partners import services as partner_services
from partners.models import Package
from partners.packages import services as package_services
from partners.packages.tasks import render_package
from tests.cases.conftest import SHARED_WORLD
from tests.conftest import text_of
from tests.security.conftest import CANARY, Hostile

pytestmark = SHARED_WORLD  # the case world is built once for the module


def _status(client: Client, url: str) -> int:
    return client.get(url).status_code


def test_a_removed_member_loses_every_page_of_the_case_at_once(hostile: Hostile) -> None:
    w = hostile.world
    client = Client()
    client.force_login(w.analyst)
    urls = [
        reverse("cases:detail", args=[w.case.pk]),
        reverse("cases:persons_csv", args=[w.case.pk]),
        reverse("evidence:download", args=[hostile.ev.original.pk]),
        reverse("proof:matrix_csv", args=[hostile.link.allegation.pk]),
        reverse("packages:detail", args=[hostile.package.pk]),
    ]
    assert [_status(client, u) for u in urls] == [200] * len(urls)
    member = w.case.members.get(user=w.analyst)
    case_services.case_member_remove(case=w.case, actor=w.lead, member=member)
    assert [_status(client, u) for u in urls] == [404] * len(urls)
    assert w.case.reference not in client.get(reverse("cases:list")).content.decode()


def test_a_revoked_share_closes_the_partners_view_at_once(hostile: Hostile) -> None:
    client = Client()
    client.force_login(hostile.p.liaison_a)
    urls = [
        reverse("partners:shared_detail", args=[hostile.p.share_a.pk]),
        reverse("packages:detail", args=[hostile.package.pk]),
    ]
    assert [_status(client, u) for u in urls] == [200, 200]
    partner_services.share_revoke(share=hostile.p.share_a, actor=hostile.world.lead)
    assert [_status(client, u) for u in urls] == [404, 404]
    listed = client.get(reverse("partners:shared_list")).content.decode()
    assert hostile.world.case.reference not in listed


def test_a_revoked_identity_grant_hides_the_name_at_once(hostile: Hostile) -> None:
    w = hostile.world
    client = Client()
    client.force_login(w.investigator)
    url = reverse("cases:person_detail", args=[w.case.pk, w.witness.pk])
    assert CANARY in client.get(url).content.decode()
    case_services.identity_revoke(case_person=w.witness, actor=w.lead, user=w.investigator)
    page = client.get(url)
    assert page.status_code == 200
    assert CANARY not in page.content.decode()
    csv = text_of(client.get(reverse("cases:persons_csv", args=[w.case.pk])))
    assert CANARY not in csv


def test_a_share_revoked_while_a_package_waits_in_the_queue_stops_its_rendering(
    hostile: Hostile, django_capture_on_commit_callbacks
) -> None:
    package = hostile.package
    with django_capture_on_commit_callbacks(execute=False):
        package_services.package_approve(
            package=package, actor=hostile.world.lead, recipients=[hostile.p.liaison_a]
        )
    package.refresh_from_db()
    assert package.status == Package.Status.QUEUED  # the render was queued...
    partner_services.share_revoke(share=hostile.p.share_a, actor=hostile.world.lead)
    render_package.run(package.pk)  # ...and the worker runs it after the revocation
    package.refresh_from_db()
    assert package.status == Package.Status.REVOKED
    assert not package.pdf
    assert not package.parts.exists()

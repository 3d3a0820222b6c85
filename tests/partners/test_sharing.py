"""Sharing a case with a partner: a legal basis, an expiry, revocation, and a liaison who sees
only what is shared with their own organisation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from partners import services
from partners.models import CaseShare
from tests.cases.conftest import SHARED_WORLD, open_case
from tests.partners.conftest import Partners

pytestmark = SHARED_WORLD  # the case world is built once for the module


def test_a_liaison_sees_the_shared_case_metadata_only(client: Client, partners: Partners) -> None:
    client.force_login(partners.liaison_a)
    listing = client.get(reverse("partners:shared_list")).content.decode()
    assert partners.world.case.reference in listing
    page = client.get(
        reverse("partners:shared_detail", args=[partners.share_a.pk])
    ).content.decode()
    assert partners.world.case.title in page
    assert "Ukraine" in page  # countries concerned
    for secret in ("CANARY", "Dragan", "W-0001", "Market shelled at noon"):
        assert secret not in page  # no persons, no pseudonyms, no incidents, no evidence
    assert AuditEvent.objects.filter(
        action="case.viewed_as_partner", actor=partners.liaison_a
    ).exists()


def test_a_liaison_of_another_organisation_gets_404_for_everything(
    client: Client, partners: Partners
) -> None:
    world = partners.world
    client.force_login(partners.liaison_b)
    assert world.case.reference not in client.get(reverse("partners:shared_list")).content.decode()
    for url in (
        reverse("partners:shared_detail", args=[partners.share_a.pk]),
        reverse("partners:detail", args=[partners.org_a.pk]),
        reverse("partners:detail", args=[partners.org_b.pk]),  # not even their own in the directory
        reverse("cases:detail", args=[world.case.pk]),
        reverse("partners:case_shares", args=[world.case.pk]),
        reverse("evidence:register", args=[world.case.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("partners:directory")).status_code == 403


def test_a_case_that_is_not_shared_is_a_404_for_the_liaison(
    client: Client, partners: Partners
) -> None:
    other = open_case(partners.world.lead, title="Unshared")
    client.force_login(partners.liaison_a)
    assert client.get(reverse("cases:detail", args=[other.pk])).status_code == 404
    assert "Unshared" not in client.get(reverse("partners:shared_list")).content.decode()


def test_an_expired_share_ends_access_without_any_job(client: Client, partners: Partners) -> None:
    url = reverse("partners:shared_detail", args=[partners.share_a.pk])
    client.force_login(partners.liaison_a)
    assert client.get(url).status_code == 200
    CaseShare.objects.filter(pk=partners.share_a.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    assert client.get(url).status_code == 404


def test_an_expired_agreement_ends_every_share_under_it(client: Client, partners: Partners) -> None:
    url = reverse("partners:shared_detail", args=[partners.share_a.pk])
    client.force_login(partners.liaison_a)
    partners.agreement_a.valid_until = timezone.localdate() - timedelta(days=1)
    partners.agreement_a.save()
    assert client.get(url).status_code == 404
    assert (
        partners.world.case.reference
        not in client.get(reverse("partners:shared_list")).content.decode()
    )


def test_revocation_is_immediate_and_audited(client: Client, partners: Partners) -> None:
    client.force_login(partners.world.lead)
    response = client.post(
        reverse("partners:share_revoke", args=[partners.share_a.pk]), follow=True
    )
    assert "no longer sees the case" in response.content.decode()
    assert AuditEvent.objects.filter(action="case.share_revoked").exists()
    client.force_login(partners.liaison_a)
    assert (
        client.get(reverse("partners:shared_detail", args=[partners.share_a.pk])).status_code == 404
    )


def test_a_suspended_partner_sees_nothing(client: Client, partners: Partners) -> None:
    partners.org_a.status = "suspended"
    partners.org_a.save()
    client.force_login(partners.liaison_a)
    assert (
        client.get(reverse("partners:shared_detail", args=[partners.share_a.pk])).status_code == 404
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"agreement": "b"}, "agreement is with another organisation"),
        ({"expires_on": 400}, "cannot outlast the agreement"),
        ({"expires_on": -1}, "expiry date is in the past"),
        ({"legal_basis_note": " "}, "Record the legal basis"),
    ],
)
def test_sharing_needs_a_valid_legal_basis(partners: Partners, change: dict, message: str) -> None:
    today = timezone.localdate()
    other = open_case(partners.world.lead, title="To share")
    kwargs: dict[str, Any] = {
        "case": other,
        "actor": partners.world.lead,
        "organisation": partners.org_a,
        "agreement": partners.agreement_a,
        "legal_basis_note": "RFA",
        "level": "metadata",
        "expires_on": today + timedelta(days=30),
    }
    if change.get("agreement") == "b":
        kwargs["agreement"] = partners.agreement_b
    if "expires_on" in change:
        kwargs["expires_on"] = today + timedelta(days=change["expires_on"])
    if "legal_basis_note" in change:
        kwargs["legal_basis_note"] = change["legal_basis_note"]
    with pytest.raises(ValidationError, match=message):
        services.share_create(**kwargs)
    assert not CaseShare.objects.filter(case=other).exists()


def test_sharing_without_an_agreement_in_force_is_refused_in_the_form(
    client: Client, partners: Partners
) -> None:
    partners.agreement_b.valid_until = timezone.localdate() - timedelta(days=1)
    partners.agreement_b.save()
    client.force_login(partners.world.lead)
    response = client.post(
        reverse("partners:share_create", args=[partners.world.case.pk]),
        {
            "organisation": partners.org_b.pk,
            "agreement": partners.agreement_b.pk,
            "legal_basis_note": "x",
            "level": "metadata",
            "expires_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not CaseShare.objects.filter(organisation=partners.org_b).exists()


def test_only_the_case_lead_shares(client: Client, partners: Partners) -> None:
    client.force_login(partners.world.investigator)
    response = client.post(reverse("partners:share_create", args=[partners.world.case.pk]), {})
    assert response.status_code == 403


def test_sharing_notifies_the_partners_liaisons(partners: Partners) -> None:
    other = open_case(partners.world.lead, title="Newly shared")
    services.share_create(
        case=other,
        actor=partners.world.lead,
        organisation=partners.org_a,
        agreement=partners.agreement_a,
        legal_basis_note="RFA",
        level="metadata",
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    notified = partners.liaison_a.notifications.filter(
        title__icontains="shared with your organisation"
    )
    assert notified.count() == 1
    assert not partners.liaison_b.notifications.exists()


def test_unit_admins_see_agreements_about_to_expire(client: Client, partners: Partners) -> None:
    partners.agreement_a.valid_until = timezone.localdate() + timedelta(days=20)
    partners.agreement_a.save()
    client.force_login(partners.world.unit_admin)
    html = client.get("/").content.decode()
    assert "Agreements about to expire" in html
    assert "MoU with ITA" in html
    client.force_login(partners.world.investigator)
    assert "Agreements about to expire" not in client.get("/").content.decode()


def test_reading_the_sharing_page_is_an_audited_case_read(
    client: Client, partners: Partners
) -> None:
    client.force_login(partners.world.analyst)
    page = client.get(reverse("partners:case_shares", args=[partners.world.case.pk]))
    assert "International Tribunal Alpha" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="case.viewed", actor=partners.world.analyst, details__page="sharing"
    ).exists()

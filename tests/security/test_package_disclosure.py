"""Need-to-know down to the package (ASVS V8), for a package that discloses the protected
witness's identity, rendered for real once for the module (``module_disclosed``; each test
gets a copy, its changes roll back): its PDF (which does hold the canary) reaches only its
named recipient and the case team members who hold that identity. The rest of the team, a
break-glass unit admin, a liaison of the organisation who was not named and one invited after
the approval get no URL that hands them the bytes, and no download button. Who receives a
package is access state: verify_access_state replays the approvals.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Clearance, Notification
from accounts.roles import Role
from audit.models import AuditEvent
from cases import services as case_services
from cases.models import CaseMember
from evidence import services as evidence_services
from evidence.models import EvidenceItem
from partners import services as partner_services
from partners.models import Package
from partners.packages import services as package_services
from tests.cases.conftest import SHARED_WORLD, World
from tests.evidence.conftest import PDF, evidence_storage, hashed_upload  # noqa: F401
from tests.factories import UserFactory
from tests.partners.conftest import Partners, build_partners
from tests.security.conftest import CANARY
from tests.security.packaging import (
    SECRET_FILE,
    Disclosed,
    _body,
    _liaison,
    _package_urls,
    _render,
    _request,
    _text,
)

pytestmark = SHARED_WORLD  # the case world is built once for the module


def build_disclosed(partners: Partners) -> Disclosed:
    w = partners.world
    holder = UserFactory(username="pa_holder", roles=[Role.INVESTIGATOR])
    case_services.case_member_add(
        case=w.case, actor=w.lead, user=holder, role=CaseMember.Role.INVESTIGATOR
    )
    case_services.identity_grant(case_person=w.witness, actor=w.lead, user=holder)
    colleague = _liaison("pa_liaison_unnamed", partners)
    item, _added = evidence_services.item_create(
        case=w.case,
        actor=w.investigator,
        upload=hashed_upload(PDF, SECRET_FILE),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Statement of the protected vendor",
    )
    item.source_kind = EvidenceItem.SourceKind.PERSON
    item.source_person = w.witness
    item.save(update_fields=["source_kind", "source_person"])
    package = _request(partners)
    package_services.package_approve(
        package=package,
        actor=w.lead,
        recipients=[partners.liaison_a],
        disclosures=[(w.witness, "Trial Chamber order lifting the measure")],
    )
    pdf = _render(package)
    return Disclosed(partners, package, pdf, holder, colleague)


@pytest.fixture(scope="module")
def module_disclosed(module_world: World, module_files: Path) -> Disclosed:
    return build_disclosed(build_partners(module_world))


@pytest.fixture
def disclosed(module_disclosed: Disclosed, db: None) -> Disclosed:
    return copy.deepcopy(module_disclosed)


def test_the_rendered_package_names_the_disclosed_witness(disclosed: Disclosed) -> None:
    text = _text(disclosed.pdf)
    assert CANARY in text  # what the attackers below must not obtain
    assert SECRET_FILE in text  # the package holds the identity the file reveals


@pytest.mark.parametrize(
    "who", ["analyst", "investigator", "break_glass", "unnamed_liaison", "later_liaison"]
)
def test_no_url_gives_the_package_to_anyone_but_its_recipient_and_identity_holders(
    client: Client, disclosed: Disclosed, who: str
) -> None:
    p, package = disclosed.p, disclosed.package
    w = p.world
    if who == "break_glass":
        case_services.break_glass_open(
            case=w.case, actor=w.unit_admin, justification="Lead unreachable", hours=2
        )
        user = w.unit_admin
    elif who == "unnamed_liaison":
        user = disclosed.colleague_of_recipient
    elif who == "later_liaison":
        _invitation, token = partner_services.invitation_create(
            actor=w.unit_admin,
            organisation=p.org_a,
            email="late@tribunal.example",
            full_name="Late Liaison",
        )
        user = partner_services.invitation_accept(
            token=token, username="pa_late", password="a strong liaison passphrase 42"
        )
    else:
        user = getattr(w, who)
    client.force_login(user)
    download = reverse("packages:download", args=[package.pk])

    for url in _package_urls(package):
        response = client.get(url)
        body = _body(response)
        assert CANARY.encode() not in body, f"{who} read the canary at {url}"
        assert not body.startswith(b"%PDF"), f"{who} got the PDF at {url}"
        assert f'href="{download}"'.encode() not in body, f"{who} is offered it at {url}"
    refused = client.get(download)
    assert refused.status_code == 403
    assert "You may not download this package" in refused.content.decode()

    package.refresh_from_db()
    assert package.status == Package.Status.READY
    assert package.download_count == 0
    assert not AuditEvent.objects.filter(
        action__in=["package.downloaded", "package.internal_copy_downloaded"]
    ).exists()


def test_a_liaison_of_another_organisation_cannot_even_see_the_package(
    client: Client, disclosed: Disclosed
) -> None:
    client.force_login(disclosed.p.liaison_b)
    for url in _package_urls(disclosed.package)[:5]:
        response = client.get(url)
        assert response.status_code == 404
        assert CANARY.encode() not in _body(response)


def test_a_holder_of_the_identity_takes_an_internal_copy_that_changes_nothing(
    client: Client, disclosed: Disclosed
) -> None:
    package = disclosed.package
    client.force_login(disclosed.holder)
    detail = client.get(reverse("packages:detail", args=[package.pk])).content.decode()
    assert f'href="{reverse("packages:download", args=[package.pk])}"' in detail
    assert "internal copy" in detail
    notified = Notification.objects.count()

    response = client.get(reverse("packages:download", args=[package.pk]))

    assert response.status_code == 200
    assert _body(response) == disclosed.pdf
    package.refresh_from_db()
    assert package.status == Package.Status.READY  # not "downloaded"
    assert package.download_count == 0
    assert Notification.objects.count() == notified  # the approver is told nothing
    event = AuditEvent.objects.get(action="package.internal_copy_downloaded")
    assert event.actor_id == disclosed.holder.pk
    assert not AuditEvent.objects.filter(action="package.downloaded").exists()


def test_the_named_recipient_receives_the_package_and_the_approver_hears_of_it(
    client: Client, disclosed: Disclosed
) -> None:
    p, package = disclosed.p, disclosed.package
    client.force_login(p.liaison_a)
    response = client.get(reverse("packages:download", args=[package.pk]))

    assert response.status_code == 200
    data = _body(response)
    assert data == disclosed.pdf
    assert CANARY in _text(data)
    package.refresh_from_db()
    assert package.status == Package.Status.DOWNLOADED
    assert package.download_count == 1
    event = AuditEvent.objects.get(action="package.downloaded")
    assert event.actor_id == p.liaison_a.pk
    assert Notification.objects.filter(user=p.world.lead, title__contains="downloaded").exists()


def test_only_the_named_recipient_hears_that_the_package_is_approved_and_ready(
    disclosed: Disclosed,
) -> None:
    named = Notification.objects.filter(user=disclosed.p.liaison_a)
    assert named.filter(title__contains="approved").exists()
    assert named.filter(title__contains="ready").exists()
    assert not Notification.objects.filter(user=disclosed.colleague_of_recipient).exists()


# --- Who receives a package is access state: verify_access_state replays the approvals --------


def test_an_approved_package_verifies_clean(disclosed: Disclosed) -> None:
    from partners.packages.access_state import package_access_state_verify

    assert package_access_state_verify() == []


def test_a_recipient_or_disclosure_added_behind_the_approval_is_named(
    disclosed: Disclosed,
) -> None:
    from cases.access_state import access_state_verify
    from partners.models import PackageDisclosure

    package, w = disclosed.package, disclosed.p.world
    package.recipients.add(disclosed.colleague_of_recipient)
    other = case_services.case_person_add(
        case=w.case, actor=w.lead, role="witness", full_name="Second Witness"
    )
    PackageDisclosure.objects.create(
        package=package, case_person=other, justification="forged", added_by=w.lead
    )
    problems = [p for p in access_state_verify() if p.startswith(f"package {package.reference}")]
    assert any("named recipients" in p for p in problems), problems
    assert any("disclosed identities" in p for p in problems), problems


def test_a_release_level_or_status_set_behind_the_services_is_named(
    disclosed: Disclosed,
) -> None:
    from partners.packages.access_state import package_access_state_verify

    Package.objects.filter(pk=disclosed.package.pk).update(declassified_to=Clearance.UNCLASSIFIED)
    forged = _request(disclosed.p)
    Package.objects.filter(pk=forged.pk).update(
        status=Package.Status.READY, sha256="0" * 64, decided_by=disclosed.p.world.lead
    )
    problems = package_access_state_verify()
    assert any(
        p.startswith(f"package {disclosed.package.reference}: released at level") for p in problems
    ), problems
    assert any(
        p.startswith(f"package {forged.reference} is ready but no audited approval")
        for p in problems
    ), problems


# --- What the PDF holds today: protection or a classification raised after rendering --------

"""Package requests and decisions: who may ask, who may decide, what each step records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from audit.models import AuditEvent
from evidence.models import EvidenceItem
from partners.models import CaseShare, Package
from partners.packages import selectors, services, worker
from tests.cases.conftest import SHARED_WORLD
from tests.partners.conftest import Partners
from tests.responses import streamed

pytestmark = SHARED_WORLD  # the case world is built once for the module

ALL = services.Scope(sections=list(Package.Section.values))


def request_as_liaison(p: Partners, **overrides: Any) -> Package:
    data: dict[str, Any] = {
        "actor": p.liaison_a,
        "case": p.world.case,
        "share": p.share_a,
        "purpose": Package.Purpose.WARRANT,
        "purpose_detail": "Application for an arrest warrant, Pre-Trial Chamber II",
        "scope": ALL,
        "language": "en",
        "deadline": timezone.localdate() + timedelta(days=20),
    }
    data.update(overrides)
    return services.package_request(**data)


def test_a_liaison_requests_under_their_share_and_the_case_lead_hears_of_it(
    partners: Partners,
) -> None:
    package = request_as_liaison(partners)
    assert package.status == Package.Status.REQUESTED
    assert package.organisation == partners.org_a
    assert partners.liaison_a.get_full_name() in package.recipient
    assert partners.org_a.name in package.recipient
    assert package.sections == list(Package.Section.values)
    assert AuditEvent.objects.filter(action="package.requested", case_id=package.case_id).exists()
    note = Notification.objects.get(user=partners.world.lead)
    assert package.reference in note.title
    assert note.url == reverse("packages:detail", args=[package.pk])


def test_a_liaison_of_another_organisation_cannot_use_the_share(partners: Partners) -> None:
    with pytest.raises(PermissionDenied):
        request_as_liaison(partners, actor=partners.liaison_b)
    assert not Package.objects.exists()


def test_a_share_for_metadata_only_allows_no_package(partners: Partners) -> None:
    CaseShare.objects.filter(pk=partners.share_a.pk).update(level=CaseShare.Level.METADATA)
    with pytest.raises(Http404):
        selectors.package_share_get(partners.liaison_a, partners.share_a.pk)
    with pytest.raises(PermissionDenied):
        request_as_liaison(partners)


def test_the_request_page_of_an_unshared_case_is_a_404(client: Client, partners: Partners) -> None:
    client.force_login(partners.liaison_b)
    url = reverse("packages:request_share", args=[partners.share_a.pk])
    response = client.get(url)
    assert response.status_code == 404
    assert partners.world.case.title not in response.content.decode()
    assert client.post(url, {"purpose": "warrant"}).status_code == 404


def test_bad_input_re_renders_the_request_form_with_errors(
    client: Client, partners: Partners
) -> None:
    client.force_login(partners.liaison_a)
    url = reverse("packages:request_share", args=[partners.share_a.pk])
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        url,
        {
            "purpose": "warrant",
            "purpose_detail": "Kept after the error",
            "sections": ["summary"],
            "language": "fr",
            "deadline": yesterday,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The deadline cannot be in the past." in body
    assert "Kept after the error" in body
    assert not Package.objects.exists()


def test_a_liaison_requests_through_the_page(client: Client, partners: Partners) -> None:
    client.force_login(partners.liaison_a)
    url = reverse("packages:request_share", args=[partners.share_a.pk])
    response = client.post(
        url,
        {
            "purpose": "disclosure",
            "sections": ["summary", "evidence", "custody"],
            "language": "ar",
            # Fields a liaison's form does not have are ignored, whatever they say.
            "all_evidence": "",
            "recipient": "Someone else entirely",
            "status": "ready",
        },
    )
    package = Package.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("packages:detail", args=[package.pk])
    assert package.status == Package.Status.REQUESTED
    assert package.language == "ar"
    assert package.sections == ["summary", "evidence", "custody"]
    assert package.all_evidence
    assert "Someone else" not in package.recipient


def _statement(partners: Partners) -> EvidenceItem:
    """A statement registered in the shared case by its investigator."""
    from evidence import services as evidence_services
    from tests.evidence.conftest import PDF, hashed_upload

    world = partners.world
    item, _ = evidence_services.item_create(
        case=world.case,
        actor=world.investigator,
        upload=hashed_upload(PDF),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Statement",
    )
    return item


def test_a_case_lead_requests_with_a_chosen_scope(partners: Partners) -> None:
    world = partners.world
    item = _statement(partners)
    package = services.package_request(
        actor=world.lead,
        case=world.case,
        purpose=Package.Purpose.TRIAL,
        scope=services.Scope(sections=["evidence"], all_evidence=False, evidence_items=(item,)),
        language="en",
        recipient="Office of the Prosecutor",
    )
    assert package.organisation is None
    assert list(package.evidence_items.all()) == [item]
    assert not package.all_evidence


def test_an_investigator_cannot_request_for_the_case(partners: Partners) -> None:
    with pytest.raises(PermissionDenied):
        services.package_request(
            actor=partners.world.investigator,
            case=partners.world.case,
            purpose=Package.Purpose.OTHER,
            scope=ALL,
            language="en",
            recipient="Anyone",
        )


def test_items_of_another_case_are_refused(partners: Partners) -> None:
    from tests.cases.conftest import open_case

    world = partners.world
    item = _statement(partners)
    other = open_case(world.lead, title="Another case")
    with pytest.raises(ValidationError) as error:
        services.package_request(
            actor=world.lead,
            case=other,
            purpose=Package.Purpose.OTHER,
            scope=services.Scope(sections=["evidence"], all_evidence=False, evidence_items=(item,)),
            language="en",
            recipient="Anyone",
        )
    assert "evidence_items" in error.value.message_dict
    assert not Package.objects.exists()


def test_the_requester_cannot_approve_their_own_request(partners: Partners) -> None:
    world = partners.world
    package = services.package_request(
        actor=world.lead,
        case=world.case,
        purpose=Package.Purpose.OTHER,
        scope=ALL,
        language="en",
        recipient="Office of the Prosecutor",
    )
    with pytest.raises(ValidationError, match="another case lead must approve"):
        services.package_approve(package=package, actor=world.lead)
    package.refresh_from_db()
    assert package.status == Package.Status.REQUESTED


def test_approval_queues_the_rendering_once_committed(
    partners: Partners, django_capture_on_commit_callbacks
) -> None:
    package = request_as_liaison(partners)
    with django_capture_on_commit_callbacks() as callbacks:
        services.package_approve(
            package=package,
            actor=partners.world.lead,
            reason="Agreed",
            recipients=[partners.liaison_a],
        )
    package.refresh_from_db()
    assert package.status == Package.Status.QUEUED
    assert package.decided_by == partners.world.lead
    assert callbacks, "the rendering job is queued on commit"
    actions = list(
        AuditEvent.objects.filter(action__startswith="package.").values_list("action", flat=True)
    )
    assert {"package.requested", "package.approved", "package.queued"} <= set(actions)
    assert Notification.objects.filter(user=partners.liaison_a, title__contains="approved")


def test_an_investigator_may_not_decide(partners: Partners) -> None:
    package = request_as_liaison(partners)
    with pytest.raises(PermissionDenied):
        services.package_approve(package=package, actor=partners.world.investigator)


def test_a_request_is_decided_only_once(partners: Partners) -> None:
    package = request_as_liaison(partners)
    services.package_reject(package=package, actor=partners.world.lead, reason="Out of scope")
    with pytest.raises(ValidationError, match="already been decided"):
        services.package_approve(package=package, actor=partners.world.lead)


def test_a_rejection_needs_a_reason(client: Client, partners: Partners) -> None:
    package = request_as_liaison(partners)
    client.force_login(partners.world.lead)
    url = reverse("packages:decide", args=[package.pk])
    response = client.post(url, {"decision": "reject", "reason": ""})
    assert response.status_code == 200
    assert "Give the reason for the rejection." in response.content.decode()
    package.refresh_from_db()
    assert package.status == Package.Status.REQUESTED
    response = client.post(url, {"decision": "reject", "reason": "Not within the agreement"})
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.status == Package.Status.REJECTED
    assert package.decision_reason == "Not within the agreement"
    assert Notification.objects.filter(user=partners.liaison_a, title__contains="rejected")


def test_an_identity_is_included_only_with_a_justification(
    client: Client, partners: Partners
) -> None:
    package = request_as_liaison(partners)
    witness = partners.world.witness
    client.force_login(partners.world.lead)
    url = reverse("packages:decide", args=[package.pk])
    page = client.get(url).content.decode()
    assert witness.pseudonym in page
    assert "CANARY-WITNESS" not in page  # the choice names the pseudonym only
    response = client.post(
        url,
        {"decision": "approve", "recipients": [partners.liaison_a.pk], "disclose": [witness.pk]},
    )
    assert "Record why the identity is included" in response.content.decode()
    response = client.post(
        url,
        {
            "decision": "approve",
            "recipients": [partners.liaison_a.pk],
            "disclose": [witness.pk],
            "justification": "Trial Chamber order lifting the measure",
        },
    )
    assert response.status_code == 302
    disclosure = package.disclosures.get()
    assert disclosure.case_person == witness
    assert disclosure.added_by == partners.world.lead


def test_a_person_of_another_case_cannot_be_disclosed(partners: Partners) -> None:
    from cases import services as case_services
    from cases.models import CasePerson
    from tests.cases.conftest import open_case

    other = open_case(partners.world.lead, title="Another case")
    stranger = case_services.case_person_add(
        case=other,
        actor=partners.world.lead,
        role=CasePerson.Role.WITNESS,
        full_name="Somebody Else",
        protect=True,
        measures=["identity_non_disclosure"],
    )
    package = request_as_liaison(partners)
    with pytest.raises(ValidationError):
        services.package_approve(
            package=package,
            actor=partners.world.lead,
            disclosures=[(stranger, "because")],
            recipients=[partners.liaison_a],
        )


def _ready(package: Package, *, days: int = 14) -> Package:
    """A package as the workers leave it (rendering itself is tested in tests/partners/packages)."""
    name = f"packages/{package.uid}.pdf"
    from django.core.files.storage import default_storage

    default_storage.save(name, ContentFile(b"%PDF-1.7 signed package"))
    Package.objects.filter(pk=package.pk).update(
        status=Package.Status.READY,
        decided_by=package.case.members.filter(role="lead").first().user,
        pdf=name,
        sha256="a" * 64,
        size=23,
        pages=1,
        rendered_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=days),
    )
    package.recipients.set([package.requested_by])  # the liaison who asked is named
    package.refresh_from_db()
    return package


def test_the_liaison_downloads_and_every_download_is_counted_and_audited(
    client: Client, partners: Partners
) -> None:
    package = _ready(request_as_liaison(partners))
    client.force_login(partners.liaison_a)
    url = reverse("packages:download", args=[package.pk])
    for expected in (1, 2):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert f"{package.reference}.pdf" in response["Content-Disposition"]
        assert streamed(response) == b"%PDF-1.7 signed package"
        package.refresh_from_db()
        assert package.download_count == expected
    assert package.status == Package.Status.DOWNLOADED
    assert AuditEvent.objects.filter(action="package.downloaded").count() == 2


def test_an_expired_link_is_refused_with_a_clear_message(
    client: Client, partners: Partners
) -> None:
    package = _ready(request_as_liaison(partners))
    Package.objects.filter(pk=package.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(partners.liaison_a)
    response = client.get(reverse("packages:download", args=[package.pk]))
    assert response.status_code == 410
    assert "can no longer be downloaded" in response.content.decode()
    assert not AuditEvent.objects.filter(action="package.downloaded").exists()


def test_the_expiry_job_marks_expired_and_removes_the_file(
    partners: Partners, django_capture_on_commit_callbacks
) -> None:
    from django.core.files.storage import default_storage

    package = _ready(request_as_liaison(partners))
    Package.objects.filter(pk=package.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    name = package.pdf.name
    assert name
    with django_capture_on_commit_callbacks(execute=True):
        assert worker.package_expire_due() == 1
    package.refresh_from_db()
    assert package.status == Package.Status.EXPIRED
    assert package.sha256  # kept: a copy can still be recognised
    assert not default_storage.exists(name)
    assert Notification.objects.filter(user=partners.liaison_a, title__contains="expired")


def test_a_revoked_package_cannot_be_downloaded(
    client: Client, partners: Partners, django_capture_on_commit_callbacks
) -> None:
    from django.core.files.storage import default_storage

    package = _ready(request_as_liaison(partners))
    name = package.pdf.name
    assert name
    with django_capture_on_commit_callbacks(execute=True):
        services.package_revoke(package=package, actor=partners.world.lead, reason="Leak risk")
    package.refresh_from_db()
    assert package.status == Package.Status.REVOKED
    assert not default_storage.exists(name)
    client.force_login(partners.liaison_a)
    response = client.get(reverse("packages:download", args=[package.pk]))
    assert response.status_code == 410
    assert Notification.objects.filter(user=partners.liaison_a, title__contains="revoked")


def test_revoking_the_share_hides_the_package_from_the_liaison_at_once(
    client: Client, partners: Partners
) -> None:
    from partners import services as partner_services

    package = _ready(request_as_liaison(partners))
    client.force_login(partners.liaison_a)
    assert client.get(reverse("packages:detail", args=[package.pk])).status_code == 200
    partner_services.share_revoke(share=partners.share_a, actor=partners.world.lead)
    assert client.get(reverse("packages:detail", args=[package.pk])).status_code == 404
    assert client.get(reverse("packages:download", args=[package.pk])).status_code == 404


def test_the_liaison_sees_their_organisations_packages_only(
    client: Client, partners: Partners
) -> None:
    package = request_as_liaison(partners)
    client.force_login(partners.liaison_b)
    assert package.reference not in client.get(reverse("packages:list")).content.decode()
    client.force_login(partners.liaison_a)
    assert package.reference in client.get(reverse("packages:list")).content.decode()

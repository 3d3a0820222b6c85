"""Need-to-know down to the package (ASVS V8): a package that discloses the protected witness's
identity is rendered for real, and its PDF (which does hold the canary) reaches only its named
recipient and the case team members who hold that identity. The rest of the team, a
break-glass unit admin, a liaison of the organisation who was not named and one invited after
the approval get no URL that hands them the bytes, and no download button.

The approval itself: an identity is disclosed only by an approver who holds it, and a package
above a recipient's clearance is released only through a recorded declassification. The
verification page is for those who make or receive packages, and refuses an oversized file
before reading it.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Clearance, User
from accounts.roles import Role
from audit.models import AuditEvent
from cases import services as case_services
from cases.models import CaseMember
from evidence import services as evidence_services
from evidence.models import EvidenceItem
from partners.models import Package
from partners.packages import services as package_services
from tests.cases.conftest import SHARED_WORLD
from tests.evidence.conftest import PDF, evidence_storage, hashed_upload  # noqa: F401
from tests.factories import UserFactory
from tests.partners.conftest import Partners
from tests.security.conftest import CANARY
from tests.security.packaging import (
    SECRET_FILE,
    WITHHELD,
    Disclosed,
    _render,
    _request,
    _text,
)

pytestmark = SHARED_WORLD  # the case world is built once for the module


def test_a_file_identifying_an_undisclosed_person_is_withheld_by_name(
    partners: Partners,
) -> None:
    w = partners.world
    evidence_services.item_create(
        case=w.case,
        actor=w.investigator,
        upload=hashed_upload(PDF, SECRET_FILE),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Statement naming the protected vendor",
        identifies=[w.witness],
    )
    package = _request(partners)
    package_services.package_approve(package=package, actor=w.lead, recipients=[partners.liaison_a])
    text = _text(_render(package))
    assert SECRET_FILE not in text
    assert WITHHELD in " ".join(text.split())
    assert CANARY not in text


def test_an_open_source_item_prints_its_capture_record(partners: Partners) -> None:
    from datetime import UTC, datetime

    w = partners.world
    evidence_services.item_create(
        case=w.case,
        actor=w.investigator,
        upload=hashed_upload(PDF, "capture.pdf"),
        kind=EvidenceItem.Kind.OPEN_SOURCE,
        description="Video of the shelling posted online",
        capture_url="https://video.example/watch/abc123",
        capture_time=datetime(2024, 4, 2, 14, 5, tzinfo=UTC),
        capture_collector="OSINT desk",
        capture_platform="VideoSite",
        capture_account="@market_witness_cam",
        capture_published_at=datetime(2024, 4, 2, 12, 30, tzinfo=UTC),
    )
    package = _request(partners)
    package_services.package_approve(package=package, actor=w.lead, recipients=[partners.liaison_a])
    packed = "".join(_text(_render(package)).split())  # a long URL is broken over lines
    for expected in (
        "https://video.example/watch/abc123",
        "2024-04-0214:05:00UTC",
        "OSINTdesk",
        "VideoSite",
        "@market_witness_cam",
        "2024-04-0212:30:00UTC",
    ):
        assert expected in packed, expected


# --- Approval ---------------------------------------------------------------------------------


def test_an_approver_cannot_disclose_an_identity_they_do_not_hold(
    client: Client, partners: Partners
) -> None:
    w = partners.world
    second_lead = UserFactory(
        username="pa_lead2", roles=[Role.CASE_LEAD], clearance=Clearance.SECRET
    )
    case_services.case_member_add(
        case=w.case, actor=w.lead, user=second_lead, role=CaseMember.Role.LEAD
    )
    package = _request(partners)

    with pytest.raises(PermissionDenied):
        package_services.package_approve(
            package=package,
            actor=second_lead,
            recipients=[partners.liaison_a],
            disclosures=[(w.witness, "I was told it is fine")],
        )
    package.refresh_from_db()
    assert package.status == Package.Status.REQUESTED
    assert not package.disclosures.exists()

    # The decision page does not offer it, and a forged choice is refused.
    client.force_login(second_lead)
    url = reverse("packages:decide", args=[package.pk])
    page = client.get(url).content.decode()
    assert 'name="disclose"' not in page
    client.post(
        url,
        {
            "decision": "approve",
            "recipients": [partners.liaison_a.pk],
            "disclose": [w.witness.pk],
            "justification": "Forged",
        },
    )
    package.refresh_from_db()
    assert not package.disclosures.exists()


def test_a_confidential_package_for_a_restricted_recipient_needs_a_declassification(
    client: Client, partners: Partners
) -> None:
    from partners.packages.pdf.assemble import marking

    w = partners.world
    User.objects.filter(pk=partners.liaison_a.pk).update(clearance=Clearance.RESTRICTED)
    partners.liaison_a.refresh_from_db()
    item, _added = evidence_services.item_create(
        case=w.case,
        actor=w.investigator,
        upload=hashed_upload(PDF, "intercept.pdf"),
        kind=EvidenceItem.Kind.DOCUMENT,
        description="Intercepted order",
    )
    # The case is Restricted; one item above it makes the package Confidential.
    EvidenceItem.objects.filter(pk=item.pk).update(classification=Clearance.CONFIDENTIAL)
    package = _request(partners)

    with pytest.raises(ValidationError, match="not cleared"):
        package_services.package_approve(
            package=package, actor=w.lead, recipients=[partners.liaison_a]
        )
    with pytest.raises(ValidationError, match="why the package is declassified"):
        package_services.package_approve(
            package=package,
            actor=w.lead,
            recipients=[partners.liaison_a],
            declassify_to=Clearance.RESTRICTED,
        )
    package.refresh_from_db()
    assert package.status == Package.Status.REQUESTED

    package_services.package_approve(
        package=package,
        actor=w.lead,
        recipients=[partners.liaison_a],
        declassify_to=Clearance.RESTRICTED,
        declassification_reason="Originator consented to release at Restricted",
    )
    package.refresh_from_db()
    assert package.status == Package.Status.QUEUED
    assert package.classification == Clearance.CONFIDENTIAL
    assert package.declassified_to == Clearance.RESTRICTED
    assert package.declassification_reason == "Originator consented to release at Restricted"
    event = AuditEvent.objects.get(action="package.declassified")
    assert event.actor_id == w.lead.pk
    assert marking(package) == "RESTRICTED"
    pages = PdfReader(io.BytesIO(_render(package))).pages
    assert all("RESTRICTED" in (page.extract_text() or "") for page in pages)  # every page
    assert "Declassified from Confidential" in " ".join((pages[0].extract_text() or "").split())
    client.force_login(w.lead)
    page = client.get(reverse("packages:detail", args=[package.pk])).content.decode()
    assert "Declassified from Confidential" in page
    assert "Originator consented" in page


def test_a_liaison_who_is_not_of_the_organisation_cannot_be_named(partners: Partners) -> None:
    package = _request(partners)
    with pytest.raises(ValidationError, match="Only active liaisons"):
        package_services.package_approve(
            package=package, actor=partners.world.lead, recipients=[partners.liaison_b]
        )
    with pytest.raises(ValidationError, match="Name who may download"):
        package_services.package_approve(package=package, actor=partners.world.lead)


# --- Verification -----------------------------------------------------------------------------


class _Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def _unreadable_body() -> dict[str, Any]:
    """The test client's extra WSGI environ: a body nobody may read."""
    return {"wsgi.input": _Unreadable()}


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.TRAINING_ADMIN])
def test_the_verify_page_is_refused_to_training_roles(client: Client, db: None, role: str) -> None:
    client.force_login(UserFactory(username=f"pa_{role}", roles=[role]))
    url = reverse("packages:verify")
    assert client.get(url).status_code == 403
    upload = SimpleUploadedFile("p.pdf", b"%PDF-1.7", "application/pdf")
    assert client.post(url, {"file": upload}).status_code == 403
    unread = client.generic(  # refused before a byte of the body is read
        "POST",
        url,
        b"",
        content_type="multipart/form-data; boundary=XXX",
        CONTENT_LENGTH="4096",
        **_unreadable_body(),
    )
    assert unread.status_code == 403
    assert not AuditEvent.objects.filter(action="package.verified").exists()


def test_an_oversized_file_is_refused_from_its_declared_length_unread(
    client: Client, partners: Partners, settings
) -> None:
    settings.CUSTOS_PACKAGE_VERIFY_MAX_BYTES = 1024 * 1024
    client.force_login(partners.liaison_a)
    response = client.generic(
        "POST",
        reverse("packages:verify"),
        b"",
        content_type="multipart/form-data; boundary=XXX",
        CONTENT_LENGTH=str(50 * 1024 * 1024 * 1024),
        **_unreadable_body(),
    )
    assert response.status_code == 413
    assert "too large to verify" in response.content.decode()
    assert not AuditEvent.objects.filter(action="package.verified").exists()


def test_an_oversized_file_is_refused_while_it_streams(
    client: Client, partners: Partners, settings
) -> None:
    settings.CUSTOS_PACKAGE_VERIFY_MAX_BYTES = 4096  # the declared length passes, the file not
    client.force_login(partners.world.investigator)
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"x" * 20_000, "application/pdf")
    response = client.post(reverse("packages:verify"), {"file": upload})
    assert response.status_code == 413
    assert re.search(r"up to \d+ MiB", response.content.decode())
    assert not AuditEvent.objects.filter(action="package.verified").exists()


@pytest.fixture
def rendered(partners: Partners) -> Disclosed:
    """A package without disclosures, rendered while the suspect was not protected (so the
    PDF names them) and with an item classified at the case's level."""
    w = partners.world
    evidence_services.item_create(
        case=w.case,
        actor=w.lead,
        kind=EvidenceItem.Kind.DOCUMENT,
        description="Order of the artillery brigade",
    )
    package = _request(partners)
    package_services.package_approve(package=package, actor=w.lead, recipients=[partners.liaison_a])
    pdf = _render(package)
    return Disclosed(partners, package, pdf, w.lead, partners.liaison_a)


def _downloads(user: User, package: Package) -> int:
    client = Client()
    client.force_login(user)
    return client.get(reverse("packages:download", args=[package.pk])).status_code


def test_a_person_protected_after_rendering_stops_the_package_for_those_without_the_identity(
    rendered: Disclosed,
) -> None:
    from tests.cases.conftest import SUSPECT_NAME

    w, package = rendered.p.world, rendered.package
    assert SUSPECT_NAME in _text(rendered.pdf)
    assert package.printed_persons
    assert w.suspect.pk in package.printed_persons
    assert _downloads(w.analyst, package) == 200  # before: nothing in it is protected
    case_services.case_person_protect(
        case_person=w.suspect, actor=w.investigator, measures=["identity_non_disclosure"]
    )
    # The analyst does not hold the suspect's identity now; the recipient was not given it
    # by the approval: neither receives a PDF that names them.
    assert _downloads(w.analyst, package) == 403
    assert _downloads(rendered.p.liaison_a, package) == 403
    # The investigator who protected them, and the case's lead who knew them, hold it.
    assert _downloads(w.investigator, package) == 200
    assert _downloads(w.lead, package) == 200
    client = Client()
    client.force_login(w.lead)
    page = client.get(reverse("packages:detail", args=[package.pk])).content.decode()
    assert "revoke it and request a new one" in page


def test_an_item_classified_higher_after_rendering_stops_the_package_below_that_level(
    rendered: Disclosed,
) -> None:
    w, package = rendered.p.world, rendered.package
    item = EvidenceItem.objects.get(case=w.case, description="Order of the artillery brigade")
    assert _downloads(w.analyst, package) == 200
    evidence_services.item_update(item=item, actor=w.lead, classification=Clearance.SECRET)
    assert w.analyst.clearance < Clearance.SECRET
    assert _downloads(w.analyst, package) == 403
    assert _downloads(rendered.p.liaison_a, package) == 403  # not what the approval released
    assert _downloads(w.lead, package) == 200  # cleared for it


def test_an_item_marked_identifying_after_rendering_stops_the_package_for_non_holders(
    rendered: Disclosed,
) -> None:
    w, package = rendered.p.world, rendered.package
    item = EvidenceItem.objects.get(case=w.case, description="Order of the artillery brigade")
    assert item.pk in (package.printed_file_items or [])
    evidence_services.item_update(item=item, actor=w.lead, identifies=[w.witness])
    assert _downloads(w.analyst, package) == 403
    assert _downloads(rendered.p.liaison_a, package) == 403
    assert _downloads(w.lead, package) == 200  # the lead holds the witness's identity

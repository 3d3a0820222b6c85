"""Rendering through the worker tasks: claimed once, re-checked when it runs, recovered when a
worker dies, and the PDF it yields shows pseudonyms, the evidence hashes, and a valid signature.

The tasks are called in this process (as a worker would run them); the whole flow with a real
worker over the broker is in tests/e2e/test_package_journey.py.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from custos import jobs
from evidence import services as evidence_services
from evidence.models import EvidenceItem
from partners import services as partner_services
from partners.models import Package, PackageSection
from partners.packages import services, worker
from partners.packages.pdf import verify
from partners.packages.tasks import assemble_package, render_package, render_package_part
from tests.cases.conftest import SHARED_WORLD
from tests.evidence.conftest import PDF, hashed_upload
from tests.partners.conftest import Partners

pytestmark = SHARED_WORLD  # the case world is built once for the module


@pytest.fixture
def approved(partners: Partners) -> Package:
    world = partners.world
    evidence_services.item_create(
        case=world.case,
        actor=world.investigator,
        upload=hashed_upload(PDF, "statement.pdf"),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Statement of a market vendor",
    )
    package = services.package_request(
        actor=partners.liaison_a,
        case=world.case,
        share=partners.share_a,
        purpose=Package.Purpose.WARRANT,
        scope=services.Scope(sections=list(Package.Section.values)),
        language="en",
    )
    return services.package_approve(
        package=package, actor=world.lead, reason="Agreed", recipients=[partners.liaison_a]
    )


def run_worker_steps(package: Package) -> None:
    """What the workers do, in order, each message delivered twice."""
    render_package(package.pk)
    render_package(package.pk)
    for part_id in PackageSection.objects.filter(package=package).values_list("pk", flat=True):
        render_package_part(part_id)
        render_package_part(part_id)
    assemble_package(package.pk)
    assemble_package(package.pk)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def package_files() -> list[str]:
    _dirs, files = default_storage.listdir("packages")
    return files


def test_a_package_renders_once_however_often_its_messages_arrive(approved: Package) -> None:
    run_worker_steps(approved)
    approved.refresh_from_db()
    assert approved.status == Package.Status.READY
    assert approved.attempts == 1
    assert approved.progress == 100
    assert approved.pages > 3
    assert package_files() == [f"{approved.uid}.pdf"]  # one request, one PDF
    assert AuditEvent.objects.filter(action="package.rendered").count() == 1
    data = approved.pdf.read()
    import hashlib

    assert hashlib.sha256(data).hexdigest() == approved.sha256
    assert approved.expires_at is not None
    assert approved.expires_at > timezone.now() + timedelta(days=13)


def test_the_pdf_names_protected_persons_by_pseudonym_and_shows_the_evidence_hashes(
    approved: Package,
) -> None:
    run_worker_steps(approved)
    approved.refresh_from_db()
    text = pdf_text(approved.pdf.read())
    assert approved.reference in text
    assert "CANARY-WITNESS" not in text
    assert approved.case.persons.get(protected=True).pseudonym in text
    flat = "".join(text.split())
    for item in approved.case.evidence.prefetch_related("files__blob"):
        assert item.exhibit in text
        for file in item.files.all():
            assert file.blob.sha256 in flat  # hashes are laid out on several lines


def test_the_signed_pdf_verifies_and_a_tampered_copy_does_not(approved: Package) -> None:
    run_worker_steps(approved)
    approved.refresh_from_db()
    data = approved.pdf.read()
    good = verify(io.BytesIO(data))
    assert good.authentic
    assert good.reference == approved.reference
    assert good.recipient == approved.recipient
    tampered = bytearray(data)
    at = data.index(b"WCU-")
    tampered[at : at + 4] = b"XCU-"
    bad = verify(io.BytesIO(bytes(tampered)))
    assert not (bad.hash_matches and bad.signature_valid)


def test_a_revocation_between_queueing_and_rendering_renders_nothing(
    approved: Package, partners: Partners
) -> None:
    services.package_revoke(package=approved, actor=partners.world.lead, reason="Withdrawn")
    run_worker_steps(approved)
    approved.refresh_from_db()
    assert approved.status == Package.Status.REVOKED
    assert not approved.parts.exists()
    assert not default_storage.exists(f"packages/{approved.uid}.pdf")


def test_a_share_revoked_before_the_worker_runs_stops_the_package(
    approved: Package, partners: Partners
) -> None:
    partner_services.share_revoke(share=partners.share_a, actor=partners.world.lead)
    run_worker_steps(approved)
    approved.refresh_from_db()
    assert approved.status == Package.Status.REVOKED
    assert "no longer shared" in approved.revoke_reason
    assert not approved.pdf
    assert AuditEvent.objects.filter(action="package.stopped").exists()


def test_a_share_revoked_between_the_parts_and_the_merge_stops_it_too(
    approved: Package, partners: Partners
) -> None:
    render_package(approved.pk)
    for part_id in approved.parts.values_list("pk", flat=True):
        render_package_part(part_id)
    partner_services.share_revoke(share=partners.share_a, actor=partners.world.lead)
    assemble_package(approved.pk)
    approved.refresh_from_db()
    assert approved.status == Package.Status.REVOKED
    assert not approved.sha256
    assert package_files() == []


def test_a_package_stuck_after_its_worker_died_is_rendered_again(approved: Package) -> None:
    render_package(approved.pk)
    parts = list(approved.parts.order_by("index"))
    render_package_part(parts[0].pk)
    # The worker rendering the second part is killed: its claim stays behind.
    long_ago = timezone.now() - jobs.PACKAGE.lease - timedelta(minutes=1)
    PackageSection.objects.filter(pk=parts[1].pk).update(
        status=PackageSection.Status.RENDERING, claimed_at=long_ago
    )
    Package.objects.filter(pk=approved.pk).update(claimed_at=long_ago)
    assert worker.packages_requeue_stuck() == 1
    approved.refresh_from_db()
    assert approved.status == Package.Status.QUEUED
    run_worker_steps(approved)
    approved.refresh_from_db()
    assert approved.status == Package.Status.READY
    assert approved.attempts == 2
    assert package_files() == [f"{approved.uid}.pdf"]
    assert AuditEvent.objects.filter(action="package.requeued").count() == 1


def test_a_recent_claim_is_not_taken_for_a_stuck_one(approved: Package) -> None:
    render_package(approved.pk)
    assert worker.packages_requeue_stuck() == 0
    approved.refresh_from_db()
    assert approved.status == Package.Status.RENDERING


def test_a_failed_part_fails_the_package_which_says_why_and_can_be_retried(
    approved: Package,
    partners: Partners,
    monkeypatch: pytest.MonkeyPatch,
    client: Client,
) -> None:
    render_package(approved.pk)
    part = approved.parts.order_by("index").first()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("partners.packages.pdf.render_part", broken)
    monkeypatch.setattr(render_package_part, "max_retries", 0)
    with pytest.raises(OSError, match="disk full"):
        render_package_part(part.pk)
    approved.refresh_from_db()
    assert approved.status == Package.Status.FAILED
    assert "disk full" in approved.error
    assert not list(Path(default_storage.path("")).rglob("*.tmp"))

    client.force_login(partners.world.lead)
    page = client.get(reverse("packages:detail", args=[approved.pk])).content.decode()
    assert "disk full" in page
    assert reverse("packages:retry", args=[approved.pk]) in page
    client.force_login(partners.liaison_a)  # the recipient learns it failed, not the details
    assert (
        "disk full"
        not in client.get(reverse("packages:detail", args=[approved.pk])).content.decode()
    )

    monkeypatch.undo()
    client.force_login(partners.world.lead)
    response = client.post(reverse("packages:retry", args=[approved.pk]))
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == Package.Status.QUEUED
    run_worker_steps(approved)
    approved.refresh_from_db()
    assert approved.status == Package.Status.READY


def test_an_included_identity_is_printed_with_the_approval(partners: Partners) -> None:
    world = partners.world
    package = services.package_request(
        actor=partners.liaison_a,
        case=world.case,
        share=partners.share_a,
        purpose=Package.Purpose.TRIAL,
        scope=services.Scope(sections=["persons"]),
        language="en",
    )
    services.package_approve(
        package=package,
        actor=world.lead,
        disclosures=[(world.witness, "Protective measures lifted by the Chamber")],
        recipients=[partners.liaison_a],
    )
    run_worker_steps(package)
    package.refresh_from_db()
    assert "CANARY-WITNESS" in pdf_text(package.pdf.read())


def test_the_status_box_polls_while_rendering_and_stops_when_ready(
    approved: Package, client: Client, partners: Partners
) -> None:
    client.force_login(partners.liaison_a)
    url = reverse("packages:progress", args=[approved.pk])
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    run_worker_steps(approved)
    body = client.get(url).content.decode()
    assert "hx-trigger" not in body
    assert reverse("packages:download", args=[approved.pk]) in body


def test_the_verify_page_tells_only_whether_we_issued_it(
    approved: Package, client: Client, investigator
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    run_worker_steps(approved)
    approved.refresh_from_db()
    data = approved.pdf.read()
    client.force_login(investigator)  # not on the case: learns only what the page says
    url = reverse("packages:verify")
    response = client.post(url, {"file": SimpleUploadedFile("p.pdf", data, "application/pdf")})
    body = response.content.decode()
    assert response.status_code == 200
    assert approved.reference in body
    assert approved.recipient in body
    assert approved.case.title not in body
    assert approved.case.reference not in body
    event = AuditEvent.objects.filter(action="package.verified").latest("pk")
    assert event.details == {"outcome": "valid"}

    response = client.post(
        url, {"file": SimpleUploadedFile("p.pdf", b"<html>not a pdf</html>", "text/html")}
    )
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert approved.reference not in response.content.decode()
    event = AuditEvent.objects.filter(action="package.verified").latest("pk")
    assert event.details == {"outcome": "unknown"}

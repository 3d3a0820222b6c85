"""A case package from request to download in a real browser: a tribunal liaison requests a
package of the case shared with their organisation, the case lead approves it, a real Celery
worker renders and signs it, the liaison's page follows the progress by itself, and the PDF
they download names the protected witness by pseudonym only."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.roles import Role
from cases import services as case_services
from cases.models import CasePerson
from partners import services as partner_services
from partners.models import Agreement, Package, PartnerMembership, PartnerOrganisation
from partners.packages.pdf import verify
from tests.cases.conftest import open_case
from tests.e2e.conftest import Pages, Worker, expect_message, field, log_in, member

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WITNESS = "Amira CANARY-E2E Haddad"


def _verified(data: bytes) -> bool:
    try:
        return verify(io.BytesIO(data)).authentic
    finally:
        connection.close()


def test_a_liaison_requests_a_package_the_lead_approves_and_the_worker_renders_it(
    pages: Pages, celery_worker: Worker
) -> None:
    lead = member("e2e_lead", Role.CASE_LEAD, full_name="Lucia Lead")
    liaison = member("e2e_liaison", Role.TRIBUNAL_LIAISON, full_name="Pierre Liaison")
    case = open_case(lead.user, title="Shelling of the old market")
    witness = case_services.case_person_add(
        case=case,
        actor=lead.user,
        role=CasePerson.Role.WITNESS,
        full_name=WITNESS,
        protect=True,
        measures=["identity_non_disclosure"],
    )
    tribunal = PartnerOrganisation.objects.create(
        name="Northmarch Residual Tribunal", acronym="NRT", kind="tribunal", country="NL"
    )
    PartnerMembership.objects.create(user=liaison.user, organisation=tribunal)
    today = timezone.localdate()
    agreement = Agreement.objects.create(
        organisation=tribunal,
        kind="mou",
        title="MoU with NRT",
        created_by=lead.user,
        signed_on=today - timedelta(days=30),
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=365),
    )
    partner_services.share_create(
        case=case,
        actor=lead.user,
        organisation=tribunal,
        agreement=agreement,
        legal_basis_note="Request for assistance NRT/RFA/1",
        level="packages",
        expires_on=today + timedelta(days=90),
    )

    # The liaison requests a package of the shared case.
    page = pages.new()
    log_in(page, liaison)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Packages"
    ).click()
    page.get_by_role("link", name=re.compile("Shelling of the old market")).click()
    field(page, "Purpose").select_option(label="Warrant application")
    field(page, "Details of the request").fill("Arrest warrant application, Chamber II")
    field(page, "Language of the package").select_option(label="English")
    field(page, "Needed by").fill((today + timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Request the package").click()
    expect_message(page, "The package is requested.")
    expect(page.locator("#package-status")).to_contain_text("Requested")
    package = Package.objects.get(case=case)

    # The case lead approves it.
    lead_page = pages.new()
    log_in(lead_page, lead)
    lead_page.goto(f"/packages/{package.pk}/")
    lead_page.get_by_role("link", name="Decide on the request").click()
    lead_page.get_by_role("radio", name="Approve").check()
    lead_page.get_by_role("checkbox", name=re.compile("Pierre Liaison")).check()
    lead_page.get_by_role("button", name="Record the decision").click()
    expect_message(lead_page, "Approved: the package is queued for rendering.")

    # The liaison's page follows the rendering without a reload, then offers the download.
    page.reload()
    download_link = page.get_by_role("link", name="Download the PDF")
    expect(download_link).to_be_visible(timeout=120_000)
    with page.expect_download() as download_info:
        download_link.click()
    data = download_info.value.path().read_bytes()

    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert package.reference in text
    assert witness.pseudonym in text
    assert "CANARY-E2E" not in text
    # pyHanko validates with asyncio: off the thread where Playwright's loop runs.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(_verified, data).result()
    package.refresh_from_db()
    assert package.status == Package.Status.DOWNLOADED
    assert package.download_count == 1
    celery_worker.check_alive()

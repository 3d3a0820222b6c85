"""What the package tests of the security suite share: requesting a package as the liaison of
the organisation the case is shared with, rendering it as the workers do (in this process),
and reading the PDF and the responses."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.http.response import HttpResponseBase
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from accounts.roles import Role
from partners.models import Package, PartnerMembership
from partners.packages import services as package_services
from partners.packages import worker as package_worker
from tests.factories import UserFactory
from tests.partners.conftest import Partners
from tests.responses import body

WITHHELD = "withheld: identifies a protected person"
SECRET_FILE = "vendor-statement-unredacted.pdf"


def _request(p: Partners) -> Package:
    return package_services.package_request(
        actor=p.liaison_a,
        case=p.world.case,
        share=p.share_a,
        purpose=Package.Purpose.TRIAL,
        scope=package_services.Scope(sections=list(Package.Section.values)),
        language="en",
    )


def _render(package: Package) -> bytes:
    """What the workers do, in this process."""
    package_worker.package_render_start(package.pk)
    for part_id in package.parts.order_by("index").values_list("pk", flat=True):
        package_worker.package_part_render(part_id)
    package_worker.package_assemble(package.pk)
    package.refresh_from_db()
    assert package.status == Package.Status.READY
    return package.pdf.read()


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _body(response: HttpResponseBase) -> bytes:
    return body(response)


def _liaison(username: str, p: Partners) -> User:
    user = UserFactory(username=username, roles=[Role.TRIBUNAL_LIAISON])
    PartnerMembership.objects.create(user=user, organisation=p.org_a)
    return user


@dataclass
class Disclosed:
    p: Partners
    package: Package
    pdf: bytes
    holder: User  # an investigator of the team granted the witness's identity
    colleague_of_recipient: User  # a liaison of the organisation, not named


def _package_urls(package: Package) -> list[str]:
    urls = [
        reverse(f"packages:{name}", args=[package.pk])
        for name in ("detail", "progress", "download", "decide", "revoke")
    ]
    return [*urls, reverse("packages:list"), reverse("packages:case", args=[package.case_id])]

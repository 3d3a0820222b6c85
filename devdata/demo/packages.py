"""Demo packages: for the case shared with the demo tribunal, one package approved and rendered
(ready to download by the demo liaison) and one request waiting for the case lead."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from partners.models import CaseShare, Package
from partners.packages import services, worker
from partners.packages.selectors import package_content_classification


def _render_now(package: Package) -> None:
    """Runs the worker steps here, in order, so the demo starts with a ready package. The
    messages the steps queue find their work claimed and do nothing when a worker reads them."""
    from partners.packages.pdf.signing import make_development_certificate

    p12 = Path(settings.CUSTOS_SIGNING_P12)
    if not p12.is_file():  # seed_demo never runs in production: a development certificate
        make_development_certificate(p12, settings.CUSTOS_SIGNING_PASSPHRASE)
    worker.package_render_start(package.pk)
    for part_id in package.parts.order_by("index").values_list("pk", flat=True):
        worker.package_part_render(part_id)
    worker.package_assemble(package.pk)


def demo_packages_seed() -> int:
    """Creates the demo packages once; returns how many it created."""
    share = (
        CaseShare.objects.active()
        .filter(level=CaseShare.Level.PACKAGES, organisation__acronym="NRT")
        .select_related("case", "organisation")
        .first()
    )
    liaison = User.objects.filter(username="liaison").first()
    lead = User.objects.filter(username="lead").first()
    if share is None or liaison is None or lead is None or share.case.packages.exists():
        return 0
    today = timezone.localdate()
    everything = services.Scope(sections=list(Package.Section.values))
    ready = services.package_request(
        actor=liaison,
        case=share.case,
        share=share,
        purpose=Package.Purpose.ASSISTANCE,
        purpose_detail="Request for assistance NRT/RFA/2026/003 (fictional): the case file.",
        scope=everything,
        language="en",
        deadline=today + timedelta(days=30),
    )
    # The demo case is Confidential and the liaison cleared for Restricted: the lead records
    # the declassification the release needs, as a real approval would.
    level = package_content_classification(ready)
    services.package_approve(
        package=ready,
        actor=lead,
        reason="Within the request for assistance (demo).",
        recipients=[liaison],
        declassify_to=liaison.clearance if liaison.clearance < level else None,
        declassification_reason="Summary material cleared for release to the tribunal (demo).",
    )
    _render_now(ready)
    services.package_request(
        actor=liaison,
        case=share.case,
        share=share,
        purpose=Package.Purpose.WARRANT,
        purpose_detail="Supporting material for an arrest warrant application (fictional).",
        scope=services.Scope(sections=["summary", "chronology", "allegations", "evidence"]),
        language="fr",
        deadline=today + timedelta(days=10),
    )
    return 2

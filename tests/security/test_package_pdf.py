"""A case package (ASVS V8, need-to-know in exports): the PDF a partner receives carries the
case it was approved for and nothing else: no testimony from case notes, no protected real
name (even though a team member holds that identity), no record of another case."""

from __future__ import annotations

import io

from pypdf import PdfReader

from evidence import services as evidence_services
from evidence.models import EvidenceItem
from partners.models import Package
from partners.packages import services as package_services
from partners.packages import worker as package_worker
from tests.cases.conftest import SHARED_WORLD, open_case
from tests.evidence.conftest import PDF, hashed_upload
from tests.security.conftest import CANARY, CASE_CANARY, NOTE_CANARY, Hostile

pytestmark = SHARED_WORLD  # the case world is built once for the module

OTHER_CASE_CANARY = "CANARY-OTHER-CASE-3K"


def _render(package: Package) -> str:
    package_worker.package_render_start(package.pk)
    for part_id in package.parts.order_by("index").values_list("pk", flat=True):
        package_worker.package_part_render(part_id)
    package_worker.package_assemble(package.pk)
    package.refresh_from_db()
    assert package.status == Package.Status.READY
    reader = PdfReader(io.BytesIO(package.pdf.read()))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def test_the_package_pdf_holds_its_case_and_nothing_it_must_not(hostile: Hostile) -> None:
    world = hostile.world
    other = open_case(world.lead, title=f"Another case {OTHER_CASE_CANARY}")
    evidence_services.item_create(
        case=other,
        actor=world.lead,
        upload=hashed_upload(PDF, "other.pdf"),
        kind=EvidenceItem.Kind.DOCUMENT,
        description=f"Evidence of another case {OTHER_CASE_CANARY}",
    )
    package_services.package_approve(
        package=hostile.package, actor=world.lead, recipients=[hostile.p.liaison_a]
    )

    text = _render(hostile.package)

    assert CASE_CANARY in text  # the case itself is in its package
    assert hostile.ev.item.exhibit in text
    assert world.witness.pseudonym in text
    assert CANARY not in text  # a protected identity, although the investigator holds it
    assert NOTE_CANARY not in text  # case notes are not part of a package
    assert OTHER_CASE_CANARY not in text

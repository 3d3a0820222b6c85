"""A tiny case to package: the world of tests/cases (a protected witness whose real name is a
canary), three evidence items with files and custody events, an allegation with a link, and
an approved package of every section. Files live in a temporary folder; the signing
certificate is tests/conftest.py's, generated once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from cases.models import Crime
from evidence import proof, services
from evidence.models import CustodyEvent, EvidenceItem, EvidenceLink
from partners.models import Package
from tests.cases.conftest import World, module_world, world  # noqa: F401 - shared fixture
from tests.evidence.conftest import evidence_storage, hashed_upload  # noqa: F401

HOSTILE = (
    '<img src="file:///etc/passwd"> <link rel=attachment href="file:///etc/passwd"> '
    "http://169.254.169.254/latest/meta-data/ <b>bold</b>"
)


@dataclass
class Packaged:
    world: World
    package: Package
    items: list[EvidenceItem]


def make_items(world: World, count: int, *, description: str = "Statement") -> list[EvidenceItem]:  # noqa: F811
    items = []
    for n in range(count):
        item, _added = services.item_create(
            case=world.case,
            actor=world.investigator,
            upload=hashed_upload(f"%PDF-1.4 exhibit {n} {description}".encode()),
            kind=EvidenceItem.Kind.STATEMENT,
            description=f"{description} {n}",
            storage_location="Evidence room A",
        )
        services.custody_record(
            item=item,
            actor=world.investigator,
            kind=CustodyEvent.Kind.EXAMINED,
            location="Lab 2",
            purpose="Forensic examination",
        )
        items.append(item)
    return items


def make_package(world: World, **overrides: object) -> Package:  # noqa: F811
    data = {
        "case": world.case,
        "recipient": "Registry of the Special Tribunal",
        "purpose": Package.Purpose.DISCLOSURE,
        "sections": list(Package.Section.values),
        "language": "en",
        "status": Package.Status.APPROVED,
        "requested_by": world.lead,
        "decided_by": world.lead,
        "decided_at": timezone.now(),
    }
    data.update(overrides)
    return Package.objects.create(**data)


@pytest.fixture
def packaged(world: World) -> Packaged:  # noqa: F811
    items = make_items(world, 3)
    crime = Crime.objects.get(code="ART8_2_B_I")
    allegation = proof.allegation_create(
        case=world.case,
        actor=world.lead,
        suspect=world.suspect,
        crime=crime,
        modes=proof.liability_modes()[:1],
        incidents=[world.incident],
    )
    proof.link_create(
        allegation=allegation,
        item=items[0],
        actor=world.lead,
        assessment=EvidenceLink.Assessment.STRONG,
        element_index=0,
        relevance="The vendor saw the rounds land.",
    )
    items[1].source_kind = EvidenceItem.SourceKind.PERSON
    items[1].source_person = world.witness
    items[1].save(update_fields=["source_kind", "source_person"])
    return Packaged(world, make_package(world), items)


def fonts_of(reader: PdfReader) -> dict[str, bool]:
    """Base font name → whether the font file is embedded, over every page and form XObject."""
    fonts: dict[str, bool] = {}
    seen: set[int] = set()

    def walk(resources: Any) -> None:
        if resources is None or id(resources) in seen:
            return
        seen.add(id(resources))
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font["/BaseFont"])] = embedded
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return fonts

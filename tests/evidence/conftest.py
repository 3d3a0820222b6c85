"""Evidence fixtures: the case world of tests/cases, files stored in a temporary folder, and
an item with an original file held by the investigator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cases import services as case_services
from cases.models import CasePerson, Crime, ModeOfLiability
from evidence import proof, services
from evidence.models import Allegation, EvidenceFile, EvidenceItem, EvidenceLink
from evidence.uploads import HashedUpload, hashed_upload_from_bytes
from tests.cases.conftest import World, break_glass, module_world, world  # noqa: F401 - shared fixtures
from tests.conftest import files_root

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"x" * 5000
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def evidence_storage(settings, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """Stored files and upload temporaries of each test live in a folder of its own (or of
    its module, for a world with files built once per module: ``module_files``)."""
    root = files_root(request, tmp_path)
    settings.MEDIA_ROOT = str(root / "files")
    settings.FILE_UPLOAD_TEMP_DIR = str(root / "uploads")
    (root / "uploads").mkdir(exist_ok=True)
    return root


def stored_files(root: Path) -> list[Path]:
    return [p for p in (root / "files").rglob("*") if p.is_file()]


def temp_files(root: Path) -> list[Path]:
    return [p for p in (root / "uploads").rglob("*") if p.is_file()]


def hashed_upload(data: bytes, name: str = "statement.pdf") -> HashedUpload:
    """What the upload handler hands to the view, built without an HTTP request."""
    return hashed_upload_from_bytes(data, name)


@dataclass
class Evidence:
    world: World
    item: EvidenceItem
    original: EvidenceFile


@pytest.fixture
def ev(world: World) -> Evidence:  # noqa: F811 - the imported fixture
    item, added = services.item_create(
        case=world.case,
        actor=world.investigator,
        upload=hashed_upload(PDF),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Statement of a market vendor",
        storage_location="Evidence room A, shelf 2",
    )
    return Evidence(world, item, added.file)


# --- The proof matrix: an allegation with the statement linked ------------------------------

Assessment = EvidenceLink.Assessment
PROTECTED_SUSPECT = "Vukan CANARY-SUSPECT Petrovic"


def crime(code: str) -> Crime:
    return Crime.objects.get(code=code)


def mode(article: str) -> ModeOfLiability:
    return ModeOfLiability.objects.get(article=article)


def new_items(world: World, count: int, start: int = 1) -> list[EvidenceItem]:  # noqa: F811
    return [
        services.item_create(
            case=world.case,
            actor=world.investigator,
            kind=EvidenceItem.Kind.DOCUMENT,
            description=f"Report {n}",
        )[0]
        for n in range(start, start + count)
    ]


@dataclass
class Proof:
    ev: Evidence
    allegation: Allegation
    link: EvidenceLink

    @property
    def world(self) -> World:
        return self.ev.world


def allegation_for(
    world: World,  # noqa: F811 - a parameter, not the fixture
    code: str = "ART8_2_B_I",
    **overrides: Any,
) -> Allegation:
    data: dict[str, Any] = {
        "case": world.case,
        "actor": world.investigator,
        "suspect": world.suspect,
        "crime": crime(code),
        "modes": [mode("25(3)(a)")],
        "incidents": [world.incident],
    }
    data.update(overrides)
    return proof.allegation_create(**data)


def build_proof(ev: Evidence) -> Proof:
    """An allegation of attacking civilians against the suspect, by commission, with the
    statement linked (strongly) to element 2: the civilians were the object of the attack."""
    allegation = allegation_for(ev.world)
    link = proof.link_create(
        allegation=allegation,
        item=ev.item,
        actor=ev.world.investigator,
        element_index=1,
        assessment=Assessment.STRONG,
        locator="p. 2",
        relevance="The vendor saw civilians only.",
    )
    return Proof(ev, allegation, link)


@pytest.fixture
def pw(ev: Evidence) -> Proof:
    return build_proof(ev)


def protected_suspect(world: World) -> CasePerson:  # noqa: F811
    """A protected suspect: the lead recorded them (and holds the identity), nobody else."""
    return case_services.case_person_add(
        case=world.case,
        actor=world.lead,
        role=CasePerson.Role.SUSPECT,
        full_name=PROTECTED_SUSPECT,
        protect=True,
    )

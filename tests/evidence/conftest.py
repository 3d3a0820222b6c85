"""Evidence fixtures: the case world of tests/cases, files stored in a temporary folder, and
an item with an original file held by the investigator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from evidence import services
from evidence.models import EvidenceFile, EvidenceItem
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

"""Demo evidence for the embedded default: small generated files and custody histories on the
fictional demo cases (nothing real, nothing downloaded)."""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from devdata.demo.cases import DEMO_MARK
from evidence import services
from evidence.models import CustodyEvent, EvidenceFile, EvidenceItem
from evidence.uploads import hashed_upload_from_bytes


def _png(width: int = 96, height: int = 64) -> bytes:
    """A small grey gradient PNG, written by hand (no imaging library needed)."""
    rows = b"".join(
        b"\x00" + bytes((x * 255 // width + y) % 256 for x in range(width) for _ in range(3))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _wav(seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 8000)))
            for n in range(int(8000 * seconds))
        )
        out.writeframes(frames)
    return buffer.getvalue()


STATEMENT = (
    "FICTIONAL DEMO DOCUMENT\n\nStatement of witness W-0001 (pseudonym), taken on 12 April 2024.\n"
    "I was selling bread at the covered market when the first explosion happened around noon.\n"
)


@transaction.atomic
def demo_evidence_seed() -> int:
    """Adds evidence to the demo market case once; returns how many items it created."""
    case = Case.objects.filter(title__contains="Eastbrook", referral_source=DEMO_MARK).first()
    if case is None or case.evidence.exists():
        return 0
    users = {u.username: u for u in User.objects.filter(username__in=["lead", "investigator"])}
    lead, investigator = users["lead"], users["investigator"]
    collected = timezone.now() - timedelta(days=30)

    photo, _ = services.item_create(
        case=case,
        actor=investigator,
        upload=hashed_upload_from_bytes(_png(), "market-crater.png"),
        kind=EvidenceItem.Kind.PHOTOGRAPH,
        description="Photograph of the crater in the market hall",
        collected_at=collected,
        collected_place="Eastbrook covered market",
        collected_by="Jonas Weber (investigator)",
        graphic=True,
        storage_location="Digital vault",
    )
    # The statement identifies its protected source: its original is read only by holders of
    # W-0001's identity (the lead, who protected her); the rest of the team reads the redacted
    # copy the lead approved, and sees "withheld" for the original.
    witness = case.persons.get(pseudonym="W-0001")
    statement, added = services.item_create(
        case=case,
        actor=investigator,
        upload=hashed_upload_from_bytes(STATEMENT.encode(), "statement-W-0001.txt"),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Witness statement of W-0001 (fictional)",
        source_kind=EvidenceItem.SourceKind.PERSON,
        source_person=witness,
        language="English",
        storage_location="Digital vault",
    )
    assert added is not None  # noqa: S101 - the statement was created with its file
    redacted = services.file_add(
        item=statement,
        actor=investigator,
        upload=hashed_upload_from_bytes(
            STATEMENT.replace("bread", "[redacted]").encode(), "statement-W-0001-redacted.txt"
        ),
        role=EvidenceFile.Role.REDACTED,
        derived_from=added.file,
        method="Redacted for disclosure by the case lead",
    )
    # The lead protected W-0001 (devdata.demo.cases) and so holds her identity: they may approve.
    services.redaction_approve(file=redacted.file, actor=lead)
    services.item_create(
        case=case,
        actor=investigator,
        upload=hashed_upload_from_bytes(_wav(), "intercept.wav"),
        kind=EvidenceItem.Kind.AUDIO,
        description="Radio intercept (fictional test tone)",
        storage_location="Digital vault",
    )
    casing, _ = services.item_create(
        case=case,
        actor=investigator,
        kind=EvidenceItem.Kind.PHYSICAL,
        description="Fragment of an artillery shell casing",
        collected_at=collected,
        collected_place="Eastbrook covered market, north aisle",
        collected_by="Jonas Weber (investigator)",
        storage_location="Evidence room A, shelf 2",
    )
    services.custody_record(
        item=casing,
        actor=investigator,
        kind=CustodyEvent.Kind.SEALED,
        seal_numbers="SEAL-2024-0117",
        purpose="Sealed after collection",
    )
    transfer = services.transfer_initiate(
        item=casing, actor=investigator, to_user=lead, purpose="Forensic examination request"
    )
    services.transfer_accept(transfer=transfer, actor=lead, location="Evidence room B")
    services.custody_record(
        item=casing,
        actor=lead,
        kind=CustodyEvent.Kind.SEAL_BROKEN,
        purpose="Opened for examination",
        notes="Seal intact before opening",
    )
    services.custody_record(
        item=casing,
        actor=lead,
        kind=CustodyEvent.Kind.EXAMINED,
        purpose="Visual examination of markings",
    )
    services.custody_record(
        item=casing, actor=lead, kind=CustodyEvent.Kind.RESEALED, seal_numbers="SEAL-2024-0142"
    )
    # An open-source capture records where, when and by whom it was captured (Berkeley
    # Protocol), with the captured file.
    services.item_create(
        case=case,
        actor=investigator,
        upload=hashed_upload_from_bytes(_png(128, 80), "post-capture.png"),
        kind=EvidenceItem.Kind.OPEN_SOURCE,
        description="Capture of a public post showing smoke over the market (fictional)",
        capture_url="https://social.example/eastbrook-news/posts/4711",
        capture_time=collected + timedelta(hours=2),
        capture_tool="Browser screenshot and page archive (demo)",
        capture_collector="Jonas Weber (investigator)",
        capture_platform="Social network (fictional)",
        capture_account="@eastbrook-news (fictional)",
        capture_published_at=collected - timedelta(hours=1),
        storage_location="Digital vault",
    )
    services.transfer_initiate(
        item=photo, actor=investigator, to_user=lead, purpose="For the case lead's review"
    )  # left waiting: in transit
    return 5

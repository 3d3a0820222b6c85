"""Evidence items, their files (stored once, by content), their chain of custody and the
proof matrix. One module per subject; every model is importable from ``evidence.models``."""

from evidence.models.custody import (
    CUSTODY_GUARD,
    CUSTODY_GUARD_COLUMNS,
    CUSTODY_HASHED_ALWAYS,
    CUSTODY_HASHED_FIELDS,
    CUSTODY_HASHED_FILE,
    CUSTODY_HASHED_LATE,
    CustodyEvent,
    CustodyTransfer,
)
from evidence.models.files import EvidenceFile, FixityCheck, StoredBlob
from evidence.models.items import EvidenceItem
from evidence.models.proof import Allegation, EvidenceLink

__all__ = [
    "CUSTODY_GUARD",
    "CUSTODY_GUARD_COLUMNS",
    "CUSTODY_HASHED_ALWAYS",
    "CUSTODY_HASHED_FIELDS",
    "CUSTODY_HASHED_FILE",
    "CUSTODY_HASHED_LATE",
    "Allegation",
    "CustodyEvent",
    "CustodyTransfer",
    "EvidenceFile",
    "EvidenceItem",
    "EvidenceLink",
    "FixityCheck",
    "StoredBlob",
]

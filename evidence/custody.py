"""The hash chain of an item's custody events.

``hash = SHA-256(prev_hash || "\\n" || canonical JSON of the event)``; the first event's
``prev_hash`` is 64 zeros. The canonical form names every field that matters in court (who,
what, when, from whom, to whom, where, why) and is stable across databases.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from evidence.models import CustodyEvent, EvidenceItem

GENESIS = "0" * 64


def _when(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(event: CustodyEvent) -> bytes:
    payload = {
        "item": event.item_id,
        "seq": event.seq,
        "kind": event.kind,
        "actor": event.actor_id,
        "recorded_at": _when(event.recorded_at),
        "occurred_at": _when(event.occurred_at),
        "from_user": event.from_user_id,
        "from_external": event.from_external,
        "to_user": event.to_user_id,
        "to_external": event.to_external,
        "location": event.location,
        "purpose": event.purpose,
        "notes": event.notes,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(prev_hash: str, event: CustodyEvent) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical_bytes(event)).hexdigest()


def append(item: EvidenceItem, event: CustodyEvent) -> CustodyEvent:
    """Links ``event`` after the item's last event and saves both.

    The caller holds the item's row lock (``select_for_update``) in its transaction.
    """
    event.item = item
    event.seq = item.custody_seq + 1
    event.prev_hash = item.custody_head or GENESIS
    event.hash = event_hash(event.prev_hash, event)
    event.save()
    item.custody_seq, item.custody_head = event.seq, event.hash
    item.save(
        update_fields=[
            "custody_seq",
            "custody_head",
            "status",
            "custodian",
            "storage_location",
            "seal_numbers",
        ]
    )
    return event


@dataclass(frozen=True)
class ChainProblem:
    item: EvidenceItem
    event: CustodyEvent | None
    reason: str


def verify_item(item: EvidenceItem) -> ChainProblem | None:
    """Re-computes an item's chain; the first event that does not fit, or ``None``."""
    prev, expected = GENESIS, 1
    last = None
    for event in item.custody_events.order_by("seq").iterator(chunk_size=1000):
        if event.seq != expected:
            return ChainProblem(item, event, f"event {expected} is missing")
        if event.prev_hash != prev:
            return ChainProblem(item, event, "its previous-hash link does not match")
        if event_hash(prev, event) != event.hash:
            return ChainProblem(item, event, "its content does not match its hash (altered)")
        prev, expected, last = event.hash, expected + 1, event
    if (item.custody_seq, item.custody_head or GENESIS) != (expected - 1, prev):
        return ChainProblem(item, last, "the item's chain head does not match its last event")
    return None

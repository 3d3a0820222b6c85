"""The hash chain of an item's custody events.

``hash = SHA-256(prev_hash || "\\n" || canonical JSON of the event)``; the first event's
``prev_hash`` is 64 zeros. The canonical form names every field that matters in court (who,
what, when, from whom, to whom, where, why) and is stable across databases.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import attrgetter
from typing import Any

from django.db import transaction

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


def _first_problem(
    events: Iterable[Any], custody_seq: int, custody_head: str
) -> tuple[int, Any | None, str]:
    """Walks one item's events in ``seq`` order: how many fit, and the first that does not
    (with why), or ``None`` and ``""``. ``events`` are model instances or rows with the same
    attribute names (see :func:`verify_chains`)."""
    prev, expected = GENESIS, 1
    last = None
    for event in events:
        if event.seq != expected:
            return expected - 1, event, f"event {expected} is missing"
        if event.prev_hash != prev:
            return expected - 1, event, "its previous-hash link does not match"
        if event_hash(prev, event) != event.hash:
            return expected - 1, event, "its content does not match its hash (altered)"
        prev, expected, last = event.hash, expected + 1, event
    if (custody_seq, custody_head or GENESIS) != (expected - 1, prev):
        return expected - 1, last, "the item's chain head does not match its last event"
    return expected - 1, None, ""


def verify_item(item: EvidenceItem) -> ChainProblem | None:
    """Re-computes an item's chain; the first event that does not fit, or ``None``."""
    events = item.custody_events.order_by("seq").iterator(chunk_size=1000)
    _, event, reason = _first_problem(events, item.custody_seq, item.custody_head)
    if not reason:
        return None
    return ChainProblem(item, event, reason)


# The columns a chain check reads, named as ``canonical_bytes`` reads them on a model.
_EVENT_COLUMNS = (
    "id",
    "item_id",
    "seq",
    "kind",
    "actor_id",
    "recorded_at",
    "occurred_at",
    "from_user_id",
    "from_external",
    "to_user_id",
    "to_external",
    "location",
    "purpose",
    "notes",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class ChainsReport:
    """The outcome of :func:`verify_chains`: what was checked and the first broken chain."""

    items: int
    events: int
    exhibit: str = ""
    event_seq: int | None = None
    event_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def verify_chains(*, case_reference: str | None = None, chunk_size: int = 5000) -> ChainsReport:
    """Re-computes every chain (or a case's) in one pass, with bounded memory.

    Two server-side cursors are read side by side: the items by id and all their events by
    ``(item, seq)`` (the unique index's order), so the cost is two sequential reads and one
    hash per event, never one query per item. Rows are tuples, not model instances.
    """
    items = EvidenceItem.objects.order_by("id")
    events = CustodyEvent.objects.order_by("item_id", "seq")
    if case_reference is not None:
        items = items.filter(case__reference=case_reference)
        events = events.filter(item__case__reference=case_reference)
    n_items = n_events = 0
    # In a transaction, so that the cursors are not materialised WITH HOLD on PostgreSQL.
    with transaction.atomic():
        rows = events.values_list(*_EVENT_COLUMNS, named=True).iterator(chunk_size=chunk_size)
        chains = groupby(rows, key=attrgetter("item_id"))
        current = next(chains, None)
        for item_id, exhibit, custody_seq, custody_head in items.values_list(
            "id", "exhibit", "custody_seq", "custody_head"
        ).iterator(chunk_size=chunk_size):
            while current is not None and current[0] < item_id:
                current = next(chains, None)  # events of an item outside the selection
            mine = current[1] if current is not None and current[0] == item_id else ()
            count, event, reason = _first_problem(mine, custody_seq, custody_head)
            n_events += count
            if reason:
                return ChainsReport(
                    items=n_items,
                    events=n_events,
                    exhibit=exhibit,
                    event_seq=event.seq if event is not None else None,
                    event_id=event.id if event is not None else None,
                    reason=reason,
                )
            n_items += 1
            if mine:
                current = next(chains, None)
    return ChainsReport(items=n_items, events=n_events)

"""The hash chain of an item's custody events.

``hash = SHA-256(prev_hash || "\\n" || canonical JSON of the event)``; the first event's
``prev_hash`` is 64 zeros. The canonical form names every field that matters in court (who,
what, when, from whom, to whom, where, why, and for a ``file_attached`` event which file, its
bytes' SHA-256, role and name) and is stable across databases.

Three proofs rest on it (``manage.py verify_custody``): every chain recomputes
(:func:`verify_chains`); every file of an item is the one its ``file_attached`` event names,
with the same bytes, role and name (:func:`verify_files`); and nothing the sealed audit trail
saw is gone: items, events, chain lengths (:func:`verify_against_audit`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import attrgetter
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from evidence.models import (
    CUSTODY_GUARD_COLUMNS,
    CUSTODY_HASHED_ALWAYS,
    CUSTODY_HASHED_FIELDS,
    CUSTODY_HASHED_FILE,
    CUSTODY_HASHED_LATE,
    CustodyEvent,
    EvidenceItem,
)

GENESIS = "0" * 64


def _when(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(values: Mapping[str, Any]) -> bytes:
    """The exact bytes an event's hash covers, from plain values keyed as
    ``CUSTODY_HASHED_FIELDS`` names them (a missing file or late reason may be left out).

    A pure function: the services, the migrations and ``devdata.scale`` all hash through it.
    The file of a ``file_attached`` event and the reason of a late entry are part of the form
    only when set, so that the hash of every event recorded before they existed stays valid.
    """

    def value(name: str) -> Any:
        found = values.get(name, None if name.endswith("_id") else "")
        return _when(found) if name.endswith("_at") else found

    def covered(names: Iterable[str]) -> dict[str, Any]:
        return {name.removesuffix("_id"): value(name) for name in names}

    payload = covered(CUSTODY_HASHED_ALWAYS)
    if values.get("file_id") is not None:
        payload |= covered(CUSTODY_HASHED_FILE)
    if values.get("late_reason"):
        payload |= covered(CUSTODY_HASHED_LATE)
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, values: Mapping[str, Any]) -> str:
    """``SHA-256(prev_hash || "\\n" || canonical_bytes(values))``."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical_bytes(values)).hexdigest()


def values_of(event: Any) -> dict[str, Any]:
    """The hashed values of an event: a model instance (current or historical) or a row with
    the same attribute names."""
    return {name: getattr(event, name, None) for name in CUSTODY_HASHED_FIELDS}


def event_hash(prev_hash: str, event: Any) -> str:
    return chain_hash(prev_hash, values_of(event))


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
        rows = events.values_list(*CUSTODY_GUARD_COLUMNS, named=True).iterator(
            chunk_size=chunk_size
        )
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


# --- Files: each is bound to exactly one event of its item's chain ---------------------------


@dataclass(frozen=True)
class BindingProblem:
    """A file, item or event that no longer matches what its chain or the audit trail holds."""

    exhibit: str
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.exhibit} event #{self.seq}" if self.seq is not None else self.exhibit
        return f"{where}: {self.reason}"


def verify_files(
    *, case_reference: str | None = None, chunk_size: int = 5000
) -> tuple[int, list[BindingProblem]]:
    """Proves every file of every item (or of a case's) against its chain: how many files were
    checked, and what does not fit.

    Each ``EvidenceFile`` must have exactly one ``file_attached`` event, on its own item, naming
    it; the SHA-256 of its current blob, its role and its name must be the event's. Re-pointing
    a file at other bytes, or rewriting a blob's SHA-256 with the bytes, is named here; the hash
    of the event itself is proved by :func:`verify_chains`.
    """
    from evidence.models import EvidenceFile

    events = CustodyEvent.objects.filter(kind=CustodyEvent.Kind.FILE_ATTACHED).order_by("id")
    files = EvidenceFile.objects.order_by("id")
    if case_reference is not None:
        events = events.filter(item__case__reference=case_reference)
        files = files.filter(item__case__reference=case_reference)
    problems: list[BindingProblem] = []
    rows = events.values_list(
        "item__exhibit",
        "seq",
        "item_id",
        "file_id",
        "file_sha256",
        "file_role",
        "file_name",
        "file__item_id",
        "file__blob__sha256",
        "file__role",
        "file__filename",
    )
    for exhibit, seq, item_id, file_id, sha256, role, name, *current in rows.iterator(
        chunk_size=chunk_size
    ):
        file_item, file_sha256, file_role, file_name = current
        if file_id is None:
            problems.append(BindingProblem(exhibit, seq, "the event names no file"))
        elif file_item != item_id:
            problems.append(
                BindingProblem(exhibit, seq, f"file id={file_id} now belongs to another item")
            )
        elif file_sha256 != sha256:
            problems.append(
                BindingProblem(
                    exhibit,
                    seq,
                    f"file id={file_id} now has the bytes {file_sha256}, "
                    f"the chain recorded {sha256}",
                )
            )
        elif (file_role, file_name) != (role, name):
            problems.append(
                BindingProblem(
                    exhibit,
                    seq,
                    f"file id={file_id} is now “{file_role}: {file_name}”, "
                    f"the chain recorded “{role}: {name}”",
                )
            )
    attached = (
        CustodyEvent.objects.filter(kind=CustodyEvent.Kind.FILE_ATTACHED, file=OuterRef("pk"))
        .order_by()
        .values("file")
        .annotate(n=Count("id"))
        .values("n")
    )
    unbound = files.annotate(events=Coalesce(Subquery(attached), 0)).exclude(events=1)
    for file_id, exhibit, n in unbound.values_list("id", "item__exhibit", "events").iterator(
        chunk_size=chunk_size
    ):
        reason = (
            f"file id={file_id} has no “file attached” event in the chain"
            if n == 0
            else f"file id={file_id} has {n} “file attached” events"
        )
        problems.append(BindingProblem(exhibit, None, reason))
    return files.count(), problems


# --- The sealed audit trail: nothing it saw may be gone --------------------------------------

# The audit actions whose rows name a custody event: ``details`` holds its ``seq`` (and, since
# the binding of files, its ``hash`` and the item's ``exhibit``; rows of ``evidence.file_added``
# also the ``item``). Older rows without ``seq``/``hash`` are checked for what they hold.
_ITEM = "evidence.evidenceitem"
_FILE = "evidence.evidencefile"


def _audited_item(target_type: str, target_id: str, details: dict[str, Any]) -> int | None:
    if isinstance(details.get("item"), int):
        return details["item"]
    if target_type == _ITEM and target_id.isdigit():
        return int(target_id)
    return None


def verify_against_audit(
    *, case_id: int | None = None, batch_size: int = 2000
) -> tuple[int, list[BindingProblem]]:
    """Compares the custody chains with the sealed audit rows about them: how many rows were
    compared, and what is gone.

    Every item whose creation was audited must still exist; every custody event an audit row
    names (item, ``seq``) must still exist, with the same hash when the row recorded it; so no
    chain is shorter than its last audited event. This names what deleting rows with the
    triggers disabled removed, which the chains alone cannot show: a chain cut at its tail (and
    its head moved back) or an item deleted with its events still recomputes.

    Only sealed rows count (their deletion is named by ``verify_audit``). Rows are read before
    the events they name, in batches (one query per batch), so a change committed meanwhile
    never looks missing: an audit row commits with its event.
    """
    from audit.models import AuditEvent

    rows = (
        AuditEvent.objects.filter(chain_seq__isnull=False, target_type__in=(_ITEM, _FILE))
        .filter(Q(action="evidence.created") | Q(details__has_key="seq"))
        .order_by("id")
    )
    if case_id is not None:
        rows = rows.filter(case_id=case_id)
    problems: list[BindingProblem] = []
    compared = 0
    last_id = 0
    while True:
        batch = list(
            rows.filter(id__gt=last_id).values_list(
                "id", "action", "target_type", "target_id", "target_label", "details"
            )[:batch_size]
        )
        if not batch:
            return compared, problems
        last_id = batch[-1][0]
        compared += len(batch)
        expected: dict[tuple[int, int], tuple[str, str]] = {}  # (item, seq) -> (exhibit, hash)
        created: dict[int, str] = {}  # item -> exhibit
        for _id, action, target_type, target_id, label, details in batch:
            details = details if isinstance(details, dict) else {}
            item_id = _audited_item(target_type, target_id, details)
            if item_id is None:
                continue
            exhibit = details.get("exhibit") or (label if target_type == _ITEM else "")
            if action == "evidence.created":
                created[item_id] = exhibit
            if isinstance(details.get("seq"), int):
                expected[(item_id, details["seq"])] = (exhibit, details.get("hash") or "")
        existing = dict(
            EvidenceItem.objects.filter(pk__in={*created, *(i for i, _s in expected)}).values_list(
                "pk", "exhibit"
            )
        )
        for item_id, exhibit in created.items():
            if item_id not in existing:
                problems.append(
                    BindingProblem(
                        exhibit or f"item id={item_id}",
                        None,
                        "the item was deleted (its creation is in the audit trail)",
                    )
                )
        found = _event_hashes(expected)
        for (item_id, seq), (exhibit, held) in sorted(expected.items()):
            if item_id not in existing:
                continue  # named once, above or by its creation's row
            exhibit = existing[item_id]
            current = found.get((item_id, seq))
            if current is None:
                problems.append(
                    BindingProblem(exhibit, seq, "the event was deleted (it is in the audit trail)")
                )
            elif held and current != held:
                problems.append(
                    BindingProblem(
                        exhibit,
                        seq,
                        f"the event's hash is {current}, the audit trail recorded {held}",
                    )
                )
        missing_items = {i for i, _s in expected} - set(existing) - set(created)
        for item_id in sorted(missing_items):
            exhibit = next(e for (i, _s), (e, _h) in expected.items() if i == item_id)
            problems.append(
                BindingProblem(
                    exhibit or f"item id={item_id}",
                    None,
                    "the item was deleted (its custody events are in the audit trail)",
                )
            )


def _event_hashes(keys: dict[tuple[int, int], Any]) -> dict[tuple[int, int], str]:
    """The hashes of the events ``(item, seq)`` that still exist, in one query."""
    items = {item_id for item_id, _seq in keys}
    seqs = {seq for _item, seq in keys}
    rows = CustodyEvent.objects.filter(item_id__in=items, seq__in=seqs).values_list(
        "item_id", "seq", "hash"
    )
    return {(item_id, seq): hash_ for item_id, seq, hash_ in rows if (item_id, seq) in keys}

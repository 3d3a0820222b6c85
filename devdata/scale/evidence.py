"""Evidence items of the scale data with their custody chains, hashed by the product's own
pure function (``evidence.custody.chain_hash``, so ``manage.py verify_custody`` passes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from devdata.scale.words import ITEM_TEXT, LATER_STEPS
from evidence import custody
from evidence.models import CUSTODY_HASHED_FIELDS, CustodyEvent, EvidenceItem

if TYPE_CHECKING:
    from devdata.scale.rows import Batch

LONG_CHAIN_EVENTS = 400  # events of the first item of each named investigator's first case
_HASHED = frozenset(CUSTODY_HASHED_FIELDS)


def _event(**values: Any) -> dict[str, Any]:
    """A custody event as the values its hash covers, named as ``CUSTODY_HASHED_FIELDS`` names
    them (unnamed columns take the model's defaults, as ``canonical_bytes`` expects)."""
    unknown = values.keys() - _HASHED
    if unknown:
        raise ValueError(f"not a hashed custody field: {sorted(unknown)}")
    return values


def _items(
    batch: Batch, first_item_id: int
) -> Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Items with their custody events, for every case of the batch."""
    rng = batch.rng
    item_id = first_item_id
    for case in batch.pending_cases:
        for number in range(1, rng.randint(5, 15) + 1):
            kind = rng.choice(list(ITEM_TEXT))
            actor = rng.choice(case["custodians"])
            created = case["opened"] + timedelta(
                days=rng.randint(1, 300), microseconds=rng.randrange(1_000_000)
            )
            collected = created - timedelta(days=rng.randint(0, 20)) if rng.random() < 0.6 else None
            source_person = rng.choice(case["persons"]) if rng.random() < 0.2 else None
            first_kind = CustodyEvent.Kind.COLLECTED if collected else CustodyEvent.Kind.RECEIVED
            collected_by = "Field team" if collected else ""
            source_text = "" if collected else "Submitted by a partner organisation"
            events = [
                _event(
                    item_id=item_id,
                    seq=1,
                    kind=first_kind,
                    actor_id=actor,
                    recorded_at=created,
                    occurred_at=collected or created,
                    from_external=collected_by if collected else source_text,
                    to_user_id=actor,
                    location=f"Evidence store, {case['place']}",
                    purpose="Registered as evidence",
                )
            ]
            length = rng.randint(1, 5)
            if case["long_chain_for"] and number == 1:
                length = LONG_CHAIN_EVENTS
                batch.long_chain_items[case["long_chain_for"]] = item_id
            custodian = actor
            for seq in range(2, length + 1):
                step, location, purpose = rng.choice(LATER_STEPS)
                when = created + timedelta(hours=seq * 3, microseconds=rng.randrange(10**6))
                event = _event(
                    item_id=item_id,
                    seq=seq,
                    kind=step,
                    actor_id=custodian,
                    recorded_at=when,
                    occurred_at=when,
                    location=location,
                    purpose=purpose,
                )
                if step == CustodyEvent.Kind.TRANSFERRED:
                    others = [u for u in case["custodians"] if u != custodian]
                    if not others:
                        event["kind"], event["purpose"] = CustodyEvent.Kind.EXAMINED, "Examination"
                    else:
                        receiver = rng.choice(others)
                        event["from_user_id"], event["to_user_id"] = custodian, receiver
                        event["actor_id"] = receiver  # the recipient accepts the hand-over
                        custodian = receiver
                events.append(event)
            item = {
                "id": item_id,
                "case_id": case["case_id"],
                "number": number,
                "exhibit": f"{case['reference']}/E-{number:04d}",
                "kind": kind,
                "description": ITEM_TEXT[kind],
                "collected_at": collected,
                "collected_place": case["place"] if collected else "",
                "collected_by": collected_by,
                "source_kind": EvidenceItem.SourceKind.PERSON
                if source_person
                else EvidenceItem.SourceKind.OTHER,
                "source_person_id": source_person,
                "source_text": source_text,
                "language": "en",
                "graphic": kind in (EvidenceItem.Kind.PHOTOGRAPH, EvidenceItem.Kind.VIDEO)
                and rng.random() < 0.3,
                "status": EvidenceItem.Status.IN_CUSTODY,
                "custodian_id": custodian,
                "storage_location": events[-1]["location"],
                "created_by_id": actor,
                "created_at": created,
            }
            yield item, events
            item_id += 1


def items_write(batch: Batch) -> None:
    """Writes the items of the batch's cases and their chains (at most one batch in memory),
    each item's creation audited as ``evidence.services`` audits it."""
    n_items_guess = len(batch.pending_cases) * 15
    first_item = batch.sink.reserve_ids(EvidenceItem, n_items_guess)
    items, events = [], []
    for item, chain in _items(batch, first_item):
        prev = custody.GENESIS
        first_hash = ""
        for event in chain:
            event_h = custody.chain_hash(prev, event)
            events.append(batch.t[CustodyEvent].row({**event, "prev_hash": prev, "hash": event_h}))
            prev = event_h
            first_hash = first_hash or event_h
        item["custody_seq"], item["custody_head"] = len(chain), prev
        items.append(batch.t[EvidenceItem].row(item))
        batch.audit_row(
            created_at=item["created_at"],
            actor_id=item["created_by_id"],
            actor_username="",
            action="evidence.created",
            target_type="evidence.evidenceitem",
            target_id=str(item["id"]),
            target_label=item["exhibit"],
            case_id=item["case_id"],
            # As evidence.services writes it: the first event, for verify_custody.
            details={
                "item": item["id"],
                "exhibit": item["exhibit"],
                "seq": 1,
                "hash": first_hash,
            },
        )
    batch.rows[EvidenceItem] = items
    batch.rows[CustodyEvent] = events
    batch.write_table(EvidenceItem)
    batch.write_table(CustodyEvent)

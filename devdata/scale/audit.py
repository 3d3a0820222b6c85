"""Audit rows of the scale data, written already sealed: chained after the head, under the
head's row lock, with ``audit.services.chain_hash`` (so ``manage.py verify_audit`` passes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from audit.models import AuditChain, AuditEvent
from audit.services import audit_seal, chain_hash

if TYPE_CHECKING:
    from devdata.scale.rows import Batch


@dataclass
class AuditRow:
    """The fields an audit row's hash covers, named as ``audit.services`` reads them."""

    pk: int
    created_at: datetime
    actor_id: int | None
    actor_username: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    case_id: int | None
    details: dict[str, Any]
    ip: str | None = None
    user_agent: str = ""
    chain_seq: int | None = None


def audit_write(batch: Batch, usernames: dict[int, str]) -> None:
    """Audit rows, already sealed: chained after the head, under the head's row lock."""
    if not batch.audit:
        return
    batch.audit.sort(key=lambda r: r.created_at)
    chain = AuditChain.objects.select_for_update().filter(pk=1).first()
    if chain is None:
        chain = AuditChain.objects.create(pk=1)
        chain = AuditChain.objects.select_for_update().get(pk=1)
    audit_seal()  # anything committed meanwhile is chained before ours
    chain.refresh_from_db()
    start = batch.sink.reserve_ids(AuditEvent, len(batch.audit))
    prev, seq = chain.head_hash, chain.seq
    table = batch.t[AuditEvent]
    rows = []
    for n, row in enumerate(batch.audit):
        seq += 1
        row.pk, row.chain_seq = start + n, seq
        row.actor_username = usernames.get(row.actor_id, "") if row.actor_id else ""
        row_hash = chain_hash(prev, row)  # type: ignore[arg-type]
        rows.append(
            table.row(
                {
                    "id": row.pk,
                    "created_at": row.created_at,
                    "actor_id": row.actor_id,
                    "actor_username": row.actor_username,
                    "action": row.action,
                    "target_type": row.target_type,
                    "target_id": row.target_id,
                    "target_label": row.target_label,
                    "case_id": row.case_id,
                    "ip": None,
                    "user_agent": "",
                    "details": json.dumps(row.details, sort_keys=True),
                    "chain_seq": seq,
                    "prev_hash": prev,
                    "hash": row_hash,
                }
            )
        )
        prev = row_hash
    batch.sink.write(table, rows)
    chain.seq, chain.head_hash, chain.sealed_at = seq, prev, datetime.now(UTC)
    chain.save(update_fields=["seq", "head_hash", "sealed_at"])
    batch.audit = []

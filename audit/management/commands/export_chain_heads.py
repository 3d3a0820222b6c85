"""The heads of the hash chains, for another system to hold.

``verify_audit`` and ``verify_custody`` prove that the chains are consistent, but someone
able to rewrite the database could rewrite a chain *and* recompute every hash after the
change. Heads exported now and kept outside Custos defeat that: ``--check FILE`` later
proves the rows they name still carry the same hashes.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.models import AuditChain, AuditEvent
from audit.services import audit_seal
from evidence.models import CustodyEvent, EvidenceItem

FORMAT = "custos-chain-heads/1"


def chain_heads() -> dict[str, Any]:
    """The latest audit chain head and every evidence item's custody chain head, now."""
    chain = AuditChain.objects.filter(pk=1).first()
    items = EvidenceItem.objects.filter(custody_seq__gt=0).order_by("pk")
    return {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "audit": {
            "seq": chain.seq if chain else 0,
            "hash": chain.head_hash if chain else "",
            "sealed_at": chain.sealed_at.isoformat() if chain and chain.sealed_at else None,
        },
        "custody": [
            {"item": item_id, "exhibit": exhibit, "seq": seq, "hash": head}
            for item_id, exhibit, seq, head in items.values_list(
                "pk", "exhibit", "custody_seq", "custody_head"
            ).iterator(chunk_size=2000)
        ],
    }


def check_heads(held: dict[str, Any]) -> list[str]:
    """What no longer matches the heads in ``held`` (an earlier export); empty when intact."""
    if held.get("format") != FORMAT:
        return [f"not a chain-heads export ({FORMAT})"]
    problems = []
    audit = held["audit"]
    if audit["seq"]:
        row = AuditEvent.objects.filter(chain_seq=audit["seq"]).values_list("hash", flat=True)
        current = row.first()
        if current != audit["hash"]:
            problems.append(
                f"audit chain position {audit['seq']}: held {audit['hash']}, "
                f"now {current or 'missing'}"
            )
    for head in held["custody"]:
        current = (
            CustodyEvent.objects.filter(item_id=head["item"], seq=head["seq"])
            .values_list("hash", flat=True)
            .first()
        )
        if current != head["hash"]:
            problems.append(
                f"custody of {head['exhibit']} event #{head['seq']}: held {head['hash']}, "
                f"now {current or 'missing'}"
            )
    return problems


class Command(BaseCommand):
    help = (
        "Prints (or writes) the latest audit and custody chain heads as JSON, with the time, "
        "for another system to keep; --check compares an earlier export with the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="Write to this file (atomically) instead.")
        parser.add_argument("--check", help="An earlier export to compare with the database.")
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="Do not link the audit rows committed since the last seal first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            held = json.loads(Path(options["check"]).read_text(encoding="utf-8"))
            problems = check_heads(held)
            if problems:
                raise CommandError(
                    f"The chains differ from the heads exported at {held.get('exported_at')}: "
                    + "; ".join(problems)
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"The heads exported at {held['exported_at']} still match "
                    f"({len(held['custody'])} custody chains)."
                )
            )
            return
        if not options["no_seal"]:
            audit_seal()
        text = json.dumps(chain_heads(), indent=2) + "\n"
        if not options["output"]:
            self.stdout.write(text, ending="")
            return
        target = Path(options["output"])
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)

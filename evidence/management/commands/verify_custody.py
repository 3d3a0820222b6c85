from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import audit_seal
from cases.models import Case
from evidence.custody import verify_against_audit, verify_chains, verify_files
from evidence.models import EvidenceItem

SHOWN = 50  # problems listed in full; the count says how many more


class Command(BaseCommand):
    help = (
        "Re-computes every custody chain, proves every file against the event that attached "
        "it, and compares the chains with the sealed audit trail (audit rows older than the "
        "binding, without the event's hash, are compared for the item and position they name); "
        "exits non-zero naming the exhibit and event of each problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", help="Only the items of this case reference.")
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="Do not link the audit rows committed since the last seal first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reference = options["case"]
        case_id = None
        if reference:
            case_id = Case.objects.filter(reference=reference).values_list("pk", flat=True).first()
            if case_id is None or not EvidenceItem.objects.filter(case_id=case_id).exists():
                raise CommandError(f"No evidence for case {reference}.")
        if not options["no_seal"]:
            audit_seal()
        started = time.monotonic()
        # The audit trail first: what it names was committed before the rows read next.
        audited, problems = verify_against_audit(case_id=case_id)
        report = verify_chains(case_reference=reference)
        files, file_problems = verify_files(case_reference=reference)
        elapsed = time.monotonic() - started
        messages = []
        if not report.ok:
            where = (
                f"event #{report.event_seq} (id={report.event_id})"
                if report.event_id is not None
                else "its head"
            )
            messages.append(
                f"Custody chain of {report.exhibit} broken at {where}: {report.reason}."
            )
        messages += [f"{problem}." for problem in [*file_problems, *problems]]
        if messages:
            for message in messages[:SHOWN]:
                self.stderr.write(message)
            more = f" (and {len(messages) - SHOWN} more)" if len(messages) > SHOWN else ""
            raise CommandError(" ".join(messages[:SHOWN]) + more)
        rate = report.events / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Custody chains intact: {report.items} items verified "
                f"({report.events} events in {elapsed:.1f} s, {rate:,.0f} events/s); "
                f"{files} files match the events that attached them; "
                f"{audited} audit rows about custody match the chains."
            )
        )

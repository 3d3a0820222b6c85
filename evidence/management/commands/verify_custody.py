from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.custody import verify_chains
from evidence.models import EvidenceItem


class Command(BaseCommand):
    help = "Re-computes every custody chain; exits non-zero naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", help="Only the items of this case reference.")

    def handle(self, *args: Any, **options: Any) -> None:
        if (
            options["case"]
            and not EvidenceItem.objects.filter(case__reference=options["case"]).exists()
        ):
            raise CommandError(f"No evidence for case {options['case']}.")
        started = time.monotonic()
        report = verify_chains(case_reference=options["case"])
        elapsed = time.monotonic() - started
        if not report.ok:
            where = (
                f"event #{report.event_seq} (id={report.event_id})"
                if report.event_id is not None
                else "its head"
            )
            raise CommandError(
                f"Custody chain of {report.exhibit} broken at {where}: {report.reason}."
            )
        rate = report.events / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Custody chains intact: {report.items} items verified "
                f"({report.events} events in {elapsed:.1f} s, {rate:,.0f} events/s)."
            )
        )

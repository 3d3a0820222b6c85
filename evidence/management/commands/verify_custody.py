from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.custody import verify_item
from evidence.models import EvidenceItem


class Command(BaseCommand):
    help = "Re-computes every custody chain; exits non-zero naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", help="Only the items of this case reference.")

    def handle(self, *args: Any, **options: Any) -> None:
        items = EvidenceItem.objects.order_by("id")
        if options["case"]:
            items = items.filter(case__reference=options["case"])
            if not items.exists():
                raise CommandError(f"No evidence for case {options['case']}.")
        checked = 0
        for item in items.iterator(chunk_size=500):
            problem = verify_item(item)
            if problem is not None:
                where = (
                    f"event #{problem.event.seq} (id={problem.event.pk})"
                    if problem.event
                    else "its head"
                )
                raise CommandError(
                    f"Custody chain of {item.exhibit} broken at {where}: {problem.reason}."
                )
            checked += 1
        self.stdout.write(self.style.SUCCESS(f"Custody chains intact: {checked} items verified."))

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.crimes.reference import crimes_load, load_reference


class Command(BaseCommand):
    help = (
        "Loads the crimes of Rome Statute arts. 6-8 and the modes of liability from the "
        "bundled Elements of Crimes (idempotent: updates changed rows, never duplicates)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        created, updated = crimes_load(load_reference())
        self.stdout.write(
            self.style.SUCCESS(
                f"Crimes and modes of liability: {created} created, {updated} updated."
            )
        )

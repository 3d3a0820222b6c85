from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.access_state import access_state_verify


class Command(BaseCommand):
    help = (
        "Replays the audited history of case teams, permissions, protection, identity grants, "
        "break-glass accesses and of what decides who reads an evidence file (source person, "
        "identified persons, classification, approved redactions); exits non-zero naming every "
        "row the history does not explain and every audited state that is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="Do not link rows committed since the last seal before verifying.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = access_state_verify(seal=not options["no_seal"])
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Access state differs from the audited history: {len(problems)} problem(s)."
            )
        self.stdout.write(self.style.SUCCESS("Access state matches the audited history."))

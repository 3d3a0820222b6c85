from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Re-computes the audit hash chain; exits non-zero naming the first broken row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="Do not link rows committed since the last seal before verifying.",
        )
        parser.add_argument(
            "--access-state",
            action="store_true",
            help="Also replay the trail against the access state of cases "
            "(as manage.py verify_access_state does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_seal"]:
            audit_seal()
        report = audit_verify()
        if not report.ok:
            where = f"row id={report.broken_id}" if report.broken_id else "the end of the chain"
            raise CommandError(
                f"Audit chain broken at {where} (chain position {report.broken_seq}): "
                f"{report.reason}. {report.checked} rows before it verified."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} rows verified, "
                f"{report.unsealed} not yet sealed."
            )
        )
        if options["access_state"]:
            from cases.access_state import access_state_verify  # the audit app is below cases

            problems = access_state_verify(seal=False)
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                raise CommandError(
                    f"Access state differs from the audited history: {len(problems)} problem(s)."
                )
            self.stdout.write(self.style.SUCCESS("Access state matches the audited history."))

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from partners.packages.pdf import verify


class Command(BaseCommand):
    help = (
        "Checks a PDF: is it a case package this unit issued, is it unchanged (SHA-256), is "
        "its signature valid. Exits with status 1 unless all three hold."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The PDF to check.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            handle = open(options["file"], "rb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from error
        with handle:
            result = verify(handle)
        yes, no = "yes", "no"
        self.stdout.write(f"Issued by this unit: {yes if result.issued else no}")
        self.stdout.write(f"Hash matches:        {yes if result.hash_matches else no}")
        self.stdout.write(f"Signature valid:     {yes if result.signature_valid else no}")
        if result.reference:
            self.stdout.write(f"Package:             {result.reference}")
            self.stdout.write(f"Recipient:           {result.recipient}")
        self.stdout.write(result.message)
        if not (result.issued and result.hash_matches and result.signature_valid):
            raise SystemExit(1)

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from partners.packages.pdf.signing import make_development_certificate


class Command(BaseCommand):
    help = (
        "Writes a self-signed DEVELOPMENT certificate for signing case packages to "
        "CUSTOS_SIGNING_P12 (PKCS#12, passphrase CUSTOS_SIGNING_PASSPHRASE). Refused in "
        "production, where a real certificate must be configured."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing if the file exists."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an existing file (old packages then "
            "no longer verify against the new certificate).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "Production signs with a real certificate: set CUSTOS_SIGNING_P12 and "
                "CUSTOS_SIGNING_PASSPHRASE."
            )
        path = Path(settings.CUSTOS_SIGNING_P12)
        if path.exists():
            if options["if_missing"]:
                return
            if not options["force"]:
                raise CommandError(f"{path} exists (use --force to replace it).")
        make_development_certificate(path, passphrase=settings.CUSTOS_SIGNING_PASSPHRASE)
        self.stdout.write(self.style.SUCCESS(f"Development signing certificate written to {path}"))

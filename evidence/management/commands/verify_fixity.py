from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from evidence.models import StoredBlob
from evidence.services import fixity_check


class Command(BaseCommand):
    help = (
        "Re-hashes every stored evidence file (streaming) against its SHA-256 and the one the "
        "custody chain recorded; records a result per file."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        failed = []
        total = 0
        for blob in StoredBlob.objects.order_by("id").iterator(chunk_size=200):
            check = fixity_check(blob)
            total += 1
            if not check.ok:
                exhibits = ", ".join(
                    sorted(set(blob.files.values_list("item__exhibit", flat=True)))
                )
                failed.append(exhibits or blob.sha256)
                self.stderr.write(
                    f"FAILED {blob.sha256} ({blob.storage_name}) of {exhibits or 'no item'}: "
                    f"computed {check.computed_sha256 or '-'} {check.error}".rstrip()
                )
        if failed:
            raise CommandError(
                f"{len(failed)} of {total} stored files failed their fixity check: "
                + "; ".join(failed[:50])
            )
        self.stdout.write(self.style.SUCCESS(f"Fixity intact: {total} stored files re-hashed."))

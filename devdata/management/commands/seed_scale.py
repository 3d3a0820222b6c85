from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from devdata.scale import INVESTIGATOR_20K, INVESTIGATOR_200, SCALE_PASSWORD, seed_scale


class Command(BaseCommand):
    help = (
        "Bulk-creates benchmark data: N cases with incidents, persons, about 10 evidence items "
        "and 30 custody events each, teams with guardian permissions and audit rows "
        "(COPY on PostgreSQL). Never in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="How many cases to add.")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Cases per transaction (default 1000)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        report_every = max(1, options["cases"] // options["batch_size"] // 20)
        calls = {"n": 0}

        def progress(message: str) -> None:
            calls["n"] += 1
            if calls["n"] % report_every == 0:
                self.stdout.write(f"  {message} ({time.monotonic() - started:.0f} s)")

        result = seed_scale(
            cases=options["cases"],
            batch_size=options["batch_size"],
            seed=options["seed"],
            progress=progress,
        )
        if connection.vendor == "postgresql":
            # Fresh statistics and visibility maps, as autovacuum would leave them later: the
            # planner's choices and index-only scans over this data depend on both.
            self.stdout.write("  VACUUM ANALYZE ...")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        elapsed = time.monotonic() - started
        for table, count in sorted(result.counts.items()):
            self.stdout.write(f"  {table}: {count:,} rows")
        self.stdout.write(
            self.style.SUCCESS(f"Scale data: {options['cases']:,} cases in {elapsed:.1f} s.")
        )
        for username, count in result.named.items():
            item = result.long_chain_items.get(username)
            extra = f"; item {item} has a long custody log" if item else ""
            self.stdout.write(
                f"  {username} (password {SCALE_PASSWORD}): on {count:,} cases{extra}"
            )
        self.stdout.write(f"  Named investigators: {INVESTIGATOR_200}, {INVESTIGATOR_20K}.")

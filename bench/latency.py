"""Latency benchmark: the pages of an investigator on 200 cases and of one on 20,000, over the
``seed_scale`` data, against gunicorn on loopback, beside ``/healthz`` of the same server.

For each user it measures, one request at a time, interleaved in rounds so that any slow
moment of the machine hits every page alike:

- the case list (first page), the case list filtered (status and crime category) and a
  full-text search,
- the overview and the evidence register of the case holding their longest custody log,
- that item's page (the whole custody log),

and prints p50 and p95 of each, with the p50 and p95 of ``/healthz`` (database, broker and
storage checks, no session) measured in the same rounds. Then it counts the SQL queries of
each page for each user (Django's test client in this process, on the same database): a page
whose count differs between the 200-case and the 20,000-case user does work per row.

Targets (reported, not asserted): every page p95 <= 150 ms; the same query count for both
users. The exit code is non-zero only when the benchmark could not measure.

    DATABASE_URL=postgres://.../custos_scale .venv/bin/python bench/latency.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_server import (
    BenchError,
    Client,
    Server,
    UserPages,
    database_url,
    django_setup,
    pages_for,
    percentile,
    server_env,
)

TARGET_P95_MS = 150.0
SEARCH = "Kharkiv shelling"
BASELINE = "/healthz"


def query_counts(users: list[UserPages]) -> dict[str, dict[str, int]]:
    """SQL queries per page and user, through Django's test client in this process."""
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    counts: dict[str, dict[str, int]] = {}
    for user_pages in users:
        client = TestClient()
        client.force_login(User.objects.get(username=user_pages.username))
        for label, path in user_pages.pages.items():
            client.get(path)  # the first request of a session warms caches; count the second
            with CaptureQueriesContext(connection) as ctx:
                status = client.get(path).status_code
            if status != 200:
                raise BenchError(f"{path} answered {status} to {user_pages.username}")
            counts.setdefault(_generic(label), {})[user_pages.username] = len(ctx.captured_queries)
    return counts


def _generic(label: str) -> str:
    return label.split(" (")[0]


def measure(
    server: Server, users: list[UserPages], password: str, rounds: int, warmup: int
) -> tuple[dict[tuple[str, str], list[float]], dict[tuple[str, str], float]]:
    """Response times (ms) of every measured request, and the worker's CPU time (ms) per
    request of each page: what the page costs the server, whatever else the machine runs."""
    clients = {}
    for user_pages in users:
        client = Client(server.port)
        client.login(user_pages.username, password)
        clients[user_pages.username] = client
    anonymous = Client(server.port)
    plan = [("", BASELINE, anonymous)] + [
        (u.username, path, clients[u.username]) for u in users for path in u.pages.values()
    ]
    timings: dict[tuple[str, str], list[float]] = {(user, path): [] for user, path, _ in plan}
    cpu: dict[tuple[str, str], float] = {(user, path): 0.0 for user, path, _ in plan}
    for n in range(warmup + rounds):
        for user, path, client in plan:
            before = server.cpu_seconds()
            response = client.get(path)
            spent = server.cpu_seconds() - before
            if response.status != 200:
                raise BenchError(f"{path} answered {response.status} to {user or 'anonymous'}")
            if n >= warmup:
                timings[(user, path)].append(response.seconds * 1000)
                cpu[(user, path)] += spent * 1000 / rounds
    return timings, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="The scale database (default: $DATABASE_URL).")
    parser.add_argument("--rounds", type=int, default=40, help="Measured requests per page.")
    parser.add_argument("--warmup", type=int, default=3, help="Unmeasured rounds first.")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1).")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="custos-latency-"))
    env = server_env(database_url(args.database_url), var_dir)
    django_setup(env)
    from django.db import connection

    from cases.models import Case
    from devdata.scale import INVESTIGATOR_20K, INVESTIGATOR_200, SCALE_PASSWORD
    from evidence.models import CustodyEvent, EvidenceItem

    users = [pages_for(INVESTIGATOR_200, SEARCH), pages_for(INVESTIGATOR_20K, SEARCH)]
    print(
        f"Data: {Case.objects.count():,} cases, {EvidenceItem.objects.count():,} evidence items, "
        f"{CustodyEvent.objects.count():,} custody events."
    )
    for u in users:
        print(f"  {u.username}: member of {u.cases:,} cases")
    connection.close()

    server = Server(env, workers=args.workers)
    server.start()
    try:
        timings, cpu = measure(server, users, SCALE_PASSWORD, args.rounds, args.warmup)
    finally:
        server.stop()
    counts = query_counts(users)

    base = timings[("", BASELINE)]
    print(
        f"\ngunicorn, {args.workers} worker(s) x 4 threads, one request at a time, "
        f"{args.rounds} rounds (+{args.warmup} warm-up).\n"
        f"Baseline {BASELINE}: p50 {percentile(base, 50):.1f} ms, "
        f"p95 {percentile(base, 95):.1f} ms, worker CPU {cpu[('', BASELINE)]:.1f} ms/request\n"
        f"Load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs\n"
    )
    header = (
        f"{'page':<36} {'user':<13} {'p50 ms':>7} {'p95 ms':>7} {'x base':>6} "
        f"{'CPU ms':>6} {'SQL':>4}  p95"
    )
    print(header)
    print("-" * len(header))
    misses = 0
    for u in users:
        for label, path in u.pages.items():
            values = timings[(u.username, path)]
            p50, p95 = percentile(values, 50), percentile(values, 95)
            ok = p95 <= TARGET_P95_MS
            misses += not ok
            print(
                f"{label:<36} {u.username:<13} {p50:7.1f} {p95:7.1f} "
                f"{p50 / percentile(base, 50):6.1f} {cpu[(u.username, path)]:6.1f} "
                f"{counts[_generic(label)][u.username]:4d}  {'PASS' if ok else 'FAIL'}"
            )
    print("\nSQL queries per page (200-case user vs 20,000-case user):")
    constant = True
    for label, per_user in counts.items():
        values = [per_user[u.username] for u in users]
        same = len(set(values)) == 1
        constant &= same
        print(f"  {label:<30} {' vs '.join(map(str, values)):>10}  {'PASS' if same else 'FAIL'}")
    print(
        f"\nTargets: p95 <= {TARGET_P95_MS:.0f} ms on every page: "
        f"{'PASS' if not misses else f'FAIL ({misses} pages)'}; "
        f"constant query count: {'PASS' if constant else 'FAIL'}"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench/latency.py: {error}", file=sys.stderr)
        sys.exit(1)

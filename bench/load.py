"""Load benchmark: 50 users working at once for 60 seconds against gunicorn on loopback, over
the ``seed_scale`` data.

Each user is a thread with its own login (the investigators on 200 and on 20,000 cases, and
members of the seeded teams) that repeats journeys chosen at random, with no pause between
requests unless ``--think`` is given:

- triage: case list, its second page, a case's overview, incidents and persons;
- search: a full-text search, a case's overview and its timeline;
- evidence: a case's evidence register and two of its items;
- home: the dashboard.

Logins happen before the clock starts. It prints requests per second, p50/p95/p99 of every
request and per page, and the number of server errors (5xx) and failed connections; the
target is zero of both. The exit code is non-zero only when the benchmark could not measure.

    DATABASE_URL=postgres://.../custos_scale .venv/bin/python bench/load.py [--users 50]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_server import (
    BenchError,
    Client,
    Server,
    database_url,
    django_setup,
    percentile,
    server_env,
)

SEARCHES = ("Kharkiv shelling", "Mosul", "detention", "hospital Aleppo", "W-0001", "Bunia")


@dataclass
class Workload:
    """What one user may open: some of their cases, with a few items of each."""

    username: str
    cases: list[int]
    items: dict[int, list[int]]


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_errors: int = 0
    failures: int = 0
    other_status: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)

    def add(self, label: str, path: str, status: int | None, ms: float) -> None:
        with self.lock:
            if status is None:
                self.failures += 1
                if len(self.examples) < 5:
                    self.examples.append(f"{path}: no answer")
                return
            self.timings[label].append(ms)
            if status >= 500:
                self.server_errors += 1
                if len(self.examples) < 5:
                    self.examples.append(f"{path}: {status}")
            elif status != 200:
                self.other_status[status] += 1


def workloads(n_users: int, seed: int) -> list[Workload]:
    from django.db.models import Count

    from accounts.models import User
    from cases.models import Case
    from devdata.scale import INVESTIGATOR_20K, INVESTIGATOR_200
    from evidence.models import EvidenceItem

    rng = random.Random(seed)
    named = [INVESTIGATOR_200, INVESTIGATOR_20K]
    others = list(
        User.objects.filter(username__startswith="scale_", case_memberships__isnull=False)
        .exclude(username__in=named)
        .annotate(n=Count("case_memberships"))
        .order_by("username")
        .values_list("username", flat=True)[: max(0, n_users - len(named)) * 3]
    )
    usernames = named + rng.sample(others, min(len(others), n_users - len(named)))
    if len(usernames) < n_users:
        raise BenchError(f"only {len(usernames)} seeded users: run seed_scale with more cases")
    result = []
    for username in usernames:
        user = User.objects.get(username=username)
        cases = list(Case.objects.visible_to(user).order_by("?").values_list("pk", flat=True)[:40])
        items: dict[int, list[int]] = defaultdict(list)
        for pk, case_id in EvidenceItem.objects.filter(case_id__in=cases).values_list(
            "pk", "case_id"
        ):
            items[case_id].append(pk)
        result.append(Workload(username, cases, dict(items)))
    return result


def journeys(work: Workload, rng: random.Random) -> list[tuple[str, str]]:
    case = rng.choice(work.cases)
    kind = rng.choices(["triage", "search", "evidence", "home"], weights=[4, 2, 4, 1])[0]
    if kind == "triage":
        return [
            ("case list", "/cases/"),
            ("case list, page 2", "/cases/?page=2"),
            ("case detail", f"/cases/{case}/"),
            ("incidents", f"/cases/{case}/incidents/"),
            ("persons", f"/cases/{case}/persons/"),
        ]
    if kind == "search":
        query = rng.choice(SEARCHES).replace(" ", "+")
        return [
            ("case list, search", f"/cases/?q={query}"),
            ("case detail", f"/cases/{case}/"),
            ("timeline", f"/cases/{case}/timeline/"),
        ]
    if kind == "evidence":
        items = work.items.get(case) or []
        steps = [("evidence register", f"/evidence/case/{case}/")]
        steps += [
            ("item detail", f"/evidence/{pk}/") for pk in rng.sample(items, min(2, len(items)))
        ]
        return steps
    return [("dashboard", "/")]


def user_loop(
    client: Client, work: Workload, tally: Tally, deadline: float, think: float, seed: int
) -> int:
    rng = random.Random(seed)
    done = 0
    while time.monotonic() < deadline:
        for label, path in journeys(work, rng):
            if time.monotonic() >= deadline:
                break
            try:
                response = client.get(path)
            except OSError:
                client.close()
                tally.add(label, path, None, 0.0)
                continue
            tally.add(label, path, response.status, response.seconds * 1000)
            done += 1
            if think:
                time.sleep(rng.uniform(0, 2 * think))
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="The scale database (default: $DATABASE_URL).")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument("--threads", type=int, default=4, help="Threads per worker (default 4).")
    parser.add_argument(
        "--think", type=float, default=0.0, help="Mean pause between requests, in seconds."
    )
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="custos-load-"))
    env = server_env(database_url(args.database_url), var_dir)
    django_setup(env)
    from django.db import connection

    from devdata.scale import SCALE_PASSWORD

    work = workloads(args.users, args.seed)
    connection.close()

    server = Server(env, workers=args.workers, threads=args.threads)
    server.start()
    tally = Tally()
    try:
        clients = [Client(server.port) for _ in work]
        with ThreadPoolExecutor(max_workers=8) as pool:
            logins = [
                pool.submit(client.login, w.username, SCALE_PASSWORD)
                for client, w in zip(clients, work, strict=True)
            ]
            for login in logins:
                login.result()
        started = time.monotonic()
        deadline = started + args.seconds
        with ThreadPoolExecutor(max_workers=len(work)) as pool:
            futures = [
                pool.submit(user_loop, c, w, tally, deadline, args.think, args.seed + n)
                for n, (c, w) in enumerate(zip(clients, work, strict=True))
            ]
            total = sum(f.result() for f in futures)
        elapsed = time.monotonic() - started
    finally:
        server.stop()

    every = [ms for values in tally.timings.values() for ms in values]
    if not every:
        raise BenchError("no request was answered")
    print(
        f"{len(work)} users, {args.seconds:.0f} s, think time {args.think:.1f} s; gunicorn "
        f"{args.workers} worker(s) x {args.threads} threads on loopback.\n"
        f"Requests: {total:,} in {elapsed:.1f} s = {total / elapsed:.1f} requests/s\n"
        f"Latency of every request: p50 {percentile(every, 50):.0f} ms, "
        f"p95 {percentile(every, 95):.0f} ms, p99 {percentile(every, 99):.0f} ms, "
        f"max {max(every):.0f} ms\n"
        f"Server errors (5xx): {tally.server_errors}; failed connections: {tally.failures}"
        f"{'; other statuses: ' + str(dict(tally.other_status)) if tally.other_status else ''}"
    )
    print(f"\n{'page':<22} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for label, values in sorted(tally.timings.items()):
        print(
            f"{label:<22} {len(values):9d} {percentile(values, 50):8.0f} "
            f"{percentile(values, 95):8.0f}"
        )
    for example in tally.examples:
        print(f"  error: {example}")
    ok = tally.server_errors == 0 and tally.failures == 0
    print(f"\nTarget: zero server errors: {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench/load.py: {error}", file=sys.stderr)
        sys.exit(1)

"""Chain verification at scale: every custody chain of the ``seed_scale`` data re-computed, as
``manage.py verify_custody`` does, with events per second and the process's peak memory.

Beside it, measured in the same run: the same number of plain ``hashlib.sha256`` calls over
messages of the size of a canonical custody event (the floor: verification hashes every
event once), and the audit chain's verification (``manage.py verify_audit``) with rows per
second. The exit code is non-zero when a chain is broken or the benchmark could not measure.

    DATABASE_URL=postgres://.../custos_scale .venv/bin/python bench/verify_chain.py
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_server import BenchError, database_url, django_setup, server_env


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="The scale database (default: $DATABASE_URL).")
    parser.add_argument("--no-audit", action="store_true", help="Skip the audit chain.")
    args = parser.parse_args()
    env = server_env(database_url(args.database_url), Path(tempfile.mkdtemp(prefix="custos-v-")))
    django_setup(env)

    from audit.services import audit_seal, audit_verify
    from evidence.custody import canonical_bytes, values_of, verify_chains
    from evidence.models import CustodyEvent

    sample = CustodyEvent.objects.order_by("id").first()
    if sample is None:
        raise BenchError("no custody events: run manage.py seed_scale first")
    message = sample.prev_hash.encode() + b"\n" + canonical_bytes(values_of(sample))

    rss_before = peak_rss_mib()
    started = time.perf_counter()
    report = verify_chains()
    custody_s = time.perf_counter() - started
    rss_after = peak_rss_mib()
    if not report.ok:
        raise BenchError(
            f"custody chain of {report.exhibit} broken at event #{report.event_seq}: "
            f"{report.reason}"
        )

    started = time.perf_counter()
    for _ in range(report.events):
        hashlib.sha256(message).hexdigest()
    hash_s = time.perf_counter() - started

    print(
        f"verify_custody: {report.items:,} items, {report.events:,} events in {custody_s:.1f} s "
        f"= {report.events / custody_s:,.0f} events/s\n"
        f"  baseline, hashlib.sha256 of {report.events:,} messages of {len(message)} bytes: "
        f"{hash_s:.1f} s = {report.events / hash_s:,.0f} hashes/s "
        f"(verification at {hash_s / custody_s:.0%} of it)\n"
        f"  peak RSS of this process: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after"
    )
    if not args.no_audit:
        audit_seal()
        started = time.perf_counter()
        audit = audit_verify()
        audit_s = time.perf_counter() - started
        if not audit.ok:
            raise BenchError(f"audit chain broken at row {audit.broken_id}: {audit.reason}")
        print(
            f"verify_audit: {audit.checked:,} rows in {audit_s:.1f} s = "
            f"{audit.checked / audit_s:,.0f} rows/s; peak RSS {peak_rss_mib():.0f} MiB"
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench/verify_chain.py: {error}", file=sys.stderr)
        sys.exit(1)

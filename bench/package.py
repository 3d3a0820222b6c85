"""Case package rendering at scale: Custos's pipeline against one plain WeasyPrint call.

Builds (once; reused by later runs) a case with ``--items`` evidence items (one file each)
and ``--events`` custody events (valid hash chains), persons (half of them protected),
incidents and allegations with proof links, and an approved package of every section. Then,
in the same run:

* **Custos**: ``plan_parts``, the parts rendered by ``--workers`` processes in parallel
  (``render_part``, as the ``reports`` workers do), then ``assemble`` and ``sign`` in a fresh
  process. Timed from the plan to the signed file.
* **plain**: the same content (cover, contents, every section, from the same templates and
  stylesheet) as one HTML document rendered by a single ``weasyprint`` ``write_pdf`` call in a
  fresh process. Timed from building the HTML to the PDF (both sides read the database and
  render the templates).

It prints pages, seconds, pages per second and the peak RSS of every process that rendered
(``ru_maxrss``, which includes what a forked worker inherits), and PASS/FAIL against the
targets: Custos >= 1.6x the plain call's pages per second, every worker < 1 GiB.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/custos_render .venv/bin/python bench/package.py

The database is created and migrated if needed. Without ``DATABASE_URL`` it uses a SQLite
file in a temporary folder. ``--skip-plain`` measures only the pipeline.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_TITLE = "Bench: package rendering"
TARGET_RATIO = 1.6
TARGET_RSS_MIB = 1024


class BenchError(Exception):
    """The benchmark could not measure what it claims to."""


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- Setup --------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Creates the PostgreSQL database of ``url`` if it does not exist."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = url[: url.rfind("/")] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def django_setup(database_url: str, var_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "custos.settings"
    os.environ["DJANGO_ENV"] = "development"
    os.environ["CUSTOS_VAR_DIR"] = str(var_dir)
    os.environ.pop("CUSTOS_SIGNING_P12", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)  # WeasyPrint's per-page progress lines


def build_case(items: int, events: int, seed: int) -> int:
    """The bench case's package id: created on the first run, reused afterwards."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Clearance, User
    from accounts.roles import Role
    from cases import services as case_services
    from cases.models import Case, CasePerson, Crime
    from evidence import proof
    from evidence.custody import GENESIS, event_hash
    from evidence.models import (
        CustodyEvent,
        EvidenceFile,
        EvidenceItem,
        EvidenceLink,
        StoredBlob,
    )
    from partners.models import Package

    existing = Package.objects.filter(case__title=BENCH_TITLE, recipient__contains=f"{items}/")
    package = existing.first()
    if package is not None and package.case.evidence.count() == items:
        return package.pk

    call_command("migrate", verbosity=0)
    if not Crime.objects.exists():
        call_command("load_crimes", verbosity=0)
    rng = random.Random(seed)
    lead = User.objects.filter(username="bench_package_lead").first()
    if lead is None:
        lead = User.objects.create_user(
            username="bench_package_lead",
            password=None,
            full_name="Bench Lead",
            clearance=Clearance.SECRET,
        )
        lead.groups.add(*Group.objects.filter(name=Role.CASE_LEAD.value))
    print(f"building the bench case: {items:,} items, {events:,} custody events ...")
    started = time.perf_counter()
    with transaction.atomic():
        case = case_services.case_create(
            actor=lead,
            title=BENCH_TITLE,
            summary="A case built by bench/package.py. " * 20,
            situation="Fictional conflict",
            countries=["UA"],
            classification=Clearance.CONFIDENTIAL,
            priority=Case.Priority.HIGH,
        )
        crime = Crime.objects.order_by("id")[0]
        incidents = [
            case_services.incident_create(
                case=case,
                actor=lead,
                title=f"Incident {n}",
                description="Shelling of a residential area. " * 5,
                date_start=timezone.now().date() - timedelta(days=400 - n),
                date_precision="day",
                place_name=f"Place {n}",
                country="UA",
                crimes=[crime],
            )
            for n in range(40)
        ]
        persons = [
            case_services.case_person_add(
                case=case,
                actor=lead,
                role=CasePerson.Role.WITNESS if n % 2 else CasePerson.Role.SUSPECT,
                full_name=f"Bench Person {n}",
                protect=bool(n % 2),
            )
            for n in range(20)
        ]
        now = timezone.now() - timedelta(days=1)
        blobs = StoredBlob.objects.bulk_create(
            [
                StoredBlob(
                    sha256=hashlib.sha256(f"bench-{case.pk}-{n}".encode()).hexdigest(),
                    size=rng.randint(10_000, 50_000_000),
                    mime_type="application/pdf",
                    storage_name=f"bench/{case.pk}/{n}",
                )
                for n in range(items)
            ]
        )
        per_item = [events // items + (1 if n < events % items else 0) for n in range(items)]
        kinds = list(CustodyEvent.Kind.values)
        item_rows = EvidenceItem.objects.bulk_create(
            [
                EvidenceItem(
                    case=case,
                    number=n + 1,
                    exhibit=f"{case.reference}/E-{n + 1:04d}",
                    kind=rng.choice(EvidenceItem.Kind.values),
                    description=f"Exhibit {n + 1}: "
                    + " ".join(
                        rng.choice(["video", "statement", "photo", "fragment", "report"])
                        for _ in range(rng.randint(4, 30))
                    ),
                    collected_at=now - timedelta(days=rng.randint(30, 300)),
                    collected_place=f"Place {rng.randint(0, 39)}",
                    created_by=lead,
                    created_at=now,
                    custodian=lead,
                )
                for n in range(items)
            ]
        )
        EvidenceFile.objects.bulk_create(
            [
                EvidenceFile(
                    item=item,
                    role=EvidenceFile.Role.ORIGINAL,
                    blob=blob,
                    filename=f"exhibit-{item.number:04d}.pdf",
                    uploaded_by=lead,
                    uploaded_at=now,
                )
                for item, blob in zip(item_rows, blobs, strict=True)
            ]
        )
        batch: list[CustodyEvent] = []
        for item, count in zip(item_rows, per_item, strict=True):
            head = GENESIS
            for seq in range(1, count + 1):
                event = CustodyEvent(
                    item=item,
                    seq=seq,
                    kind=kinds[seq % len(kinds)],
                    actor=lead,
                    recorded_at=now,
                    occurred_at=now - timedelta(days=count - seq),
                    location=f"Evidence room {rng.randint(1, 9)}",
                    purpose="Examination" if seq % 3 else "",
                    prev_hash=head,
                )
                event.hash = event_hash(head, event)
                head = event.hash
                batch.append(event)
            item.custody_seq, item.custody_head = count, head
            if len(batch) >= 5000:
                CustodyEvent.objects.bulk_create(batch)
                batch = []
        CustodyEvent.objects.bulk_create(batch)
        EvidenceItem.objects.bulk_update(item_rows, ["custody_seq", "custody_head"], 1000)
        for n, suspect in enumerate(p for p in persons if p.role == CasePerson.Role.SUSPECT):
            if n >= 5:
                break
            allegation = proof.allegation_create(
                case=case,
                actor=lead,
                suspect=suspect,
                crime=crime,
                modes=proof.liability_modes()[:2],
                incidents=incidents[:3],
            )
            for k in range(len(crime.elements)):
                EvidenceLink.objects.create(
                    allegation=allegation,
                    item=item_rows[rng.randrange(items)],
                    element_index=k,
                    assessment=EvidenceLink.Assessment.STRONG,
                    relevance="Shows the element.",
                    changed_by=lead,
                )
        package = Package.objects.create(
            case=case,
            recipient=f"Registry of the Special Tribunal ({items}/{events})",
            purpose=Package.Purpose.DISCLOSURE,
            sections=list(Package.Section.values),
            status=Package.Status.APPROVED,
            requested_by=lead,
            decided_by=lead,
            decided_at=timezone.now(),
        )
    print(f"  built in {time.perf_counter() - started:.0f} s")
    return package.pk


# --- The processes --------------------------------------------------------------------------


def _fresh_connections() -> None:
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()


def render_one(package_id: int, key: str, params: dict, path: str) -> tuple:
    """A worker: renders one part to ``path`` (as a ``reports`` worker does)."""
    from partners.models import Package
    from partners.packages.pdf import PartPlan, render_part

    cpu = cpu_seconds()
    package = Package.objects.select_related("case").get(pk=package_id)
    started = time.perf_counter()
    with open(path, "wb") as out:
        result = render_part(package, PartPlan(key, params), out)
    elapsed = time.perf_counter() - started
    return result, path, elapsed, os.getpid(), peak_rss_mib(), cpu_seconds() - cpu


def assemble_and_sign(package_id: int, parts: list[tuple], unsigned: str, signed: str) -> tuple:
    from partners.models import Package
    from partners.packages.pdf import assemble, sign

    cpu = cpu_seconds()
    package = Package.objects.select_related("case").get(pk=package_id)
    handles = [(result, open(path, "rb")) for result, path in parts]  # noqa: SIM115
    try:
        started = time.perf_counter()
        with open(unsigned, "w+b") as out:
            pages = assemble(package, handles, out)
            assembled = time.perf_counter() - started
            with open(signed, "wb") as final:
                sign(out, final)
    finally:
        for _result, handle in handles:
            handle.close()
    elapsed = time.perf_counter() - started
    return pages, assembled, elapsed, peak_rss_mib(), cpu_seconds() - cpu


def _body(html: str) -> str:
    start = html.index(">", html.index("<body")) + 1
    return html[start : html.rindex("</body>")]


def plain_render(package_id: int, path: str) -> tuple:
    """The baseline: every section's HTML in one document, one ``write_pdf`` call."""
    from django.utils import translation
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from custos.pdf import SafeURLFetcher
    from partners.models import Package
    from partners.packages.pdf.assemble import front_html
    from partners.packages.pdf.render import part_html, plan_parts, stylesheet

    cpu = cpu_seconds()
    started = time.perf_counter()
    package = Package.objects.select_related("case").get(pk=package_id)
    bodies = []
    for plan in plan_parts(package):
        bodies.append(f'<div style="break-before: page">{_body(part_html(package, plan))}</div>')
    with translation.override(package.language):
        front = front_html(package, [], 2)  # the cover (contents without entries)
    bodies.insert(0, _body(front))
    html = (
        f'<!DOCTYPE html><html lang="{package.language}"><head><meta charset="utf-8">'
        f"<title>{package.reference}</title></head><body>{''.join(bodies)}</body></html>"
    )
    built = time.perf_counter() - started
    font_config = FontConfiguration()
    document = HTML(string=html, url_fetcher=SafeURLFetcher()).render(
        stylesheets=[stylesheet(font_config)], font_config=font_config
    )
    pages = len(document.pages)
    document.write_pdf(path)
    elapsed = time.perf_counter() - started
    return pages, built, elapsed, peak_rss_mib(), cpu_seconds() - cpu


def pool(workers: int) -> ProcessPoolExecutor:
    """Forked workers, as Celery's prefork pool: each opens its own database connection."""
    _fresh_connections()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_fresh_connections,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-plain", action="store_true", help="Measure only Custos.")
    parser.add_argument("--keep", action="store_true", help="Keep the PDFs (printed paths).")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="custos-package-bench-"))
    if args.database_url:
        if not args.database_url.startswith(("postgres://", "postgresql://")):
            raise BenchError("--database-url must be PostgreSQL (or empty for SQLite)")
        ensure_database(args.database_url)
    django_setup(args.database_url, work)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("make_signing_cert", "--if-missing", verbosity=0)
    package_id = build_case(args.items, args.events, args.seed)

    from partners.models import Package
    from partners.packages.pdf import plan_parts

    package = Package.objects.select_related("case").get(pk=package_id)
    print(
        f"case {package.case.reference}: {args.items:,} items, {args.events:,} custody events; "
        f"package {package.reference}; {os.cpu_count()} CPUs; signing with "
        f"{settings.CUSTOS_SIGNING_P12}"
    )

    load_before = os.getloadavg()[0]
    # --- Custos's pipeline ---
    started = time.perf_counter()
    plans = plan_parts(package)
    with pool(args.workers) as executor:
        futures = [
            executor.submit(
                render_one, package_id, plan.key, plan.params, str(work / f"part-{n:04d}.pdf")
            )
            for n, plan in enumerate(plans)
        ]
        rendered = [future.result() for future in futures]
    parts_done = time.perf_counter()
    with pool(1) as executor:
        pages, assemble_s, finish_s, assemble_rss, assemble_cpu = executor.submit(
            assemble_and_sign,
            package_id,
            [(result, path) for result, path, *_ in rendered],
            str(work / "unsigned.pdf"),
            str(work / "package.pdf"),
        ).result()
    custos_s = time.perf_counter() - started
    worker_rss: dict[int, float] = {}
    for _result, _path, _seconds, pid, rss, _cpu in rendered:
        worker_rss[pid] = max(rss, worker_rss.get(pid, 0))
    custos_cpu = sum(r[5] for r in rendered) + assemble_cpu
    slowest = max(rendered, key=lambda r: r[2])
    body_pages = sum(r[0].pages for r in rendered)

    print(
        f"\nCustos: {len(plans)} parts on {args.workers} workers "
        f"(largest part {max(r[0].pages for r in rendered)} pages, slowest {slowest[2]:.1f} s), "
        f"{body_pages} body pages in {parts_done - started:.1f} s; assemble "
        f"{assemble_s:.1f} s + sign {finish_s - assemble_s:.1f} s"
    )
    custos_pps = pages / custos_s
    custos_peak = max([*worker_rss.values(), assemble_rss])

    rows = [
        (
            "Custos (parts ∥ + assemble + sign)",
            pages,
            custos_s,
            custos_pps,
            custos_cpu,
            ", ".join(f"{v:.0f}" for v in worker_rss.values()) + f"; assemble {assemble_rss:.0f}",
        )
    ]
    plain_pps = None
    plain_peak = 0.0
    if not args.skip_plain:
        with pool(1) as executor:
            plain_pages, built_s, plain_s, plain_peak, plain_cpu = executor.submit(
                plain_render, package_id, str(work / "plain.pdf")
            ).result()
        plain_pps = plain_pages / plain_s
        rows.append(
            (
                "plain weasyprint (one call)",
                plain_pages,
                plain_s,
                plain_pps,
                plain_cpu,
                f"{plain_peak:.0f} (HTML built in {built_s:.1f} s)",
            )
        )

    print(f"\n{'':38} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'CPU s':>7}  peak RSS MiB")
    for label, n, seconds, pps, cpu, rss in rows:
        print(f"{label:38} {n:>6} {seconds:>8.1f} {pps:>8.1f} {cpu:>7.1f}  {rss}")
    print()
    if plain_pps is not None:
        ratio = custos_pps / plain_pps
        verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        print(
            f"ratio (Custos / plain pages per second): {ratio:.2f}x, target ≥ {TARGET_RATIO}x: "
            f"{verdict}"
        )
    verdict = "PASS" if custos_peak < TARGET_RSS_MIB else "FAIL"
    print(
        f"peak RSS of any Custos worker: {custos_peak:.0f} MiB, target < {TARGET_RSS_MIB} MiB: "
        f"{verdict}"
    )
    if plain_peak:
        print(f"(peak RSS of the plain call's process: {plain_peak:.0f} MiB)")
    load_after = os.getloadavg()[0]
    print(
        f"load average (1 min): {load_before:.1f} at the start, {load_after:.1f} at the end "
        f"({os.cpu_count()} CPUs; anything else running takes cores from the two workers)"
    )
    if args.keep:
        print(f"\nPDFs kept in {work}")
    else:
        for file in work.glob("*.pdf"):
            file.unlink()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench/package.py: {error}", file=sys.stderr)
        sys.exit(1)

"""Bulk data at the scale of a unit's decade of work, for the benchmarks (``seed_scale``).

Writes cases with their incidents, persons (some protected, with pseudonyms), evidence items
with valid custody hash chains, team memberships with guardian's per-object permissions,
status history and audit rows, in batches of cases, each batch one transaction. On PostgreSQL
every table is written with ``COPY``; on SQLite (the small test) with ``executemany``. Rows get
ids reserved in advance, so that foreign keys and hashes (which cover ids) are computed in
Python before anything is sent.

Nothing here goes through the services: they take a lock per case and write one row at a time,
which is right for users and far too slow for a million items. The rows are the same as the
services would write, and the integrity checks prove it: custody chains are hashed with
``evidence.custody.chain_hash`` (``manage.py verify_custody`` passes) and audit rows are
written already sealed, continuing the chain from its head under the chain's row lock, with
``audit.services.chain_hash`` (``manage.py verify_audit`` passes). The search document is
built by the function the case services use. Append-only triggers
refuse UPDATE and DELETE only, so plain INSERTs are allowed.

The parts: ``users`` (the staff), ``cases`` (a case's rows), ``evidence`` (items and custody
chains), ``audit`` (sealed audit rows), ``rows`` (tables, the sink, one batch) and ``words``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Max

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_seal
from cases.models import (
    Case,
    CaseMember,
    CasePerson,
    CasePersonUserObjectPermission,
    CaseReferenceCounter,
    CaseUserObjectPermission,
    Crime,
    Incident,
    Person,
    ProtectiveMeasure,
    StatusChange,
)
from devdata.scale.audit import audit_write
from devdata.scale.cases import case_add
from devdata.scale.evidence import items_write
from devdata.scale.rows import Batch, Sink, Table
from devdata.scale.users import INVESTIGATOR_20K, INVESTIGATOR_200, named_members, scale_users
from evidence.models import CustodyEvent, EvidenceItem

FIRST_YEAR, LAST_YEAR = 2016, 2026


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    named: dict[str, int] = field(default_factory=dict)  # username -> number of cases
    long_chain_items: dict[str, int] = field(default_factory=dict)  # username -> item id


def seed_scale(
    *,
    cases: int,
    batch_size: int = 1000,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Creates ``cases`` cases with about 10 items and 30 custody events each (see module)."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Scale data is never created when DJANGO_ENV=production.")
    now = datetime.now(UTC)
    rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    team = scale_users(cases, now)
    sink = Sink()
    tables = {
        m: Table(m, now)
        for m in (
            Case,
            Case.crimes.through,
            CaseMember,
            CaseUserObjectPermission,
            StatusChange,
            Incident,
            Incident.crimes.through,
            Person,
            CasePerson,
            CasePersonUserObjectPermission,
            ProtectiveMeasure,
            EvidenceItem,
            CustodyEvent,
            AuditEvent,
        )
    }
    perm_ids = dict(
        Permission.objects.filter(content_type__app_label="cases").values_list("codename", "pk")
    )
    crimes = dict(Crime.objects.values_list("pk", "category"))
    if not crimes:
        raise ImproperlyConfigured("No crimes loaded: run migrate (or load_crimes) first.")
    usernames = dict(
        User.objects.filter(
            pk__in=[*team.leads, *team.investigators, *team.analysts, *team.named.values()]
        ).values_list("pk", "username")
    )
    audit_seal()  # rows already waiting are chained first; ours continue after them
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    next_number = {
        y: n or 0
        for y, n in Case.objects.values_list("year")
        .annotate(n=Max("number"))
        .values_list("year", "n")
    }
    # Cases are created oldest first, so ids, years and numbers rise together.
    per_year = [
        cases // len(years) + (1 if i < cases % len(years) else 0) for i in range(len(years))
    ]
    year_of_index: list[int] = [y for y, n in zip(years, per_year, strict=True) for _ in range(n)]
    result = Result(named={INVESTIGATOR_200: 0, INVESTIGATOR_20K: 0})
    long_chain_pending = {INVESTIGATOR_200, INVESTIGATOR_20K}
    done = 0
    while done < cases:
        count = min(batch_size, cases - done)
        with transaction.atomic():
            if sink.postgres:
                # Re-creatable benchmark data: no need to wait for each batch's WAL flush.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            batch = Batch(sink, tables, rng)
            case_ids = iter(range(sink.reserve_ids(Case, count), 10**18))
            for index in range(done, done + count):
                year = year_of_index[index]
                next_number[year] = next_number.get(year, 0) + 1
                named = named_members(index, cases)
                for name in named:
                    result.named[name] += 1
                long_for = next((n for n in named if n in long_chain_pending), None)
                if long_for:
                    long_chain_pending.discard(long_for)
                case_add(
                    batch,
                    pk=next(case_ids),
                    year=year,
                    number=next_number[year],
                    team=team,
                    named=[team.named[n] for n in named],
                    crimes=crimes,
                    perm_ids=perm_ids,
                    long_chain_for=long_for,
                )
            batch.flush_cases()
            items_write(batch)
            audit_write(batch, usernames)
            for name, item_id in batch.long_chain_items.items():
                result.long_chain_items[name] = item_id
        done += count
        if progress:
            progress(f"{done}/{cases} cases")
    for year, number in next_number.items():
        CaseReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": number})
    result.counts = dict(sink.counts)
    return result

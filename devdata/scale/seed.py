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
``audit.services.chain_hash`` (``manage.py verify_audit`` passes). Append-only triggers
refuse UPDATE and DELETE only, so plain INSERTs are allowed.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import Max

from accounts.models import Clearance, User
from accounts.roles import Role as UserRole
from audit.models import AuditChain, AuditEvent
from audit.services import audit_seal, chain_hash
from cases import permissions as P
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
from evidence import custody
from evidence.custody import GENESIS
from evidence.models import CustodyEvent, EvidenceItem

SCALE_PASSWORD = "custos-scale-bench"  # noqa: S105 - benchmark users, refused in production
INVESTIGATOR_200 = "scale_inv200"
INVESTIGATOR_20K = "scale_inv20k"
LONG_CHAIN_EVENTS = 400  # events of the first item of each named investigator's first case
FIRST_YEAR, LAST_YEAR = 2016, 2026

PLACES = (
    ("Kharkiv", "UA", "Kharkiv Oblast"),
    ("Mariupol", "UA", "Donetsk Oblast"),
    ("Bucha", "UA", "Kyiv Oblast"),
    ("Izium", "UA", "Kharkiv Oblast"),
    ("Aleppo", "SY", "Aleppo Governorate"),
    ("Douma", "SY", "Rif Dimashq"),
    ("Raqqa", "SY", "Raqqa Governorate"),
    ("Mosul", "IQ", "Nineveh"),
    ("Sinjar", "IQ", "Nineveh"),
    ("El Geneina", "SD", "West Darfur"),
    ("Nyala", "SD", "South Darfur"),
    ("Bunia", "CD", "Ituri"),
    ("Goma", "CD", "North Kivu"),
    ("Maungdaw", "MM", "Rakhine"),
    ("Mekelle", "ET", "Tigray"),
    ("Bangui", "CF", "Bangui"),
    ("Gao", "ML", "Gao Region"),
    ("Tripoli", "LY", "Tripolitania"),
    ("Sanaa", "YE", "Amanat al-Asimah"),
    ("Kabul", "AF", "Kabul Province"),
)
SITUATIONS = {
    "UA": "Armed conflict in Ukraine",
    "SY": "Armed conflict in Syria",
    "IQ": "Situation in northern Iraq",
    "SD": "Situation in Darfur",
    "CD": "Situation in the Democratic Republic of the Congo",
    "MM": "Situation in Myanmar",
    "ET": "Conflict in Tigray",
    "CF": "Situation in the Central African Republic",
    "ML": "Situation in Mali",
    "LY": "Situation in Libya",
    "YE": "Armed conflict in Yemen",
    "AF": "Situation in Afghanistan",
}
EVENTS = (
    "Shelling of",
    "Detention facility at",
    "Mass grave near",
    "Attack on the hospital of",
    "Forced displacement from",
    "Siege of",
    "Killings in",
    "Looting of",
    "Sexual violence in",
    "Destruction of the market of",
    "Enforced disappearances in",
    "Attack on the school of",
)
GIVEN = [
    "Amina",
    "Fatima",
    "Olena",
    "Irina",
    "Mariam",
    "Aisha",
    "Nour",
    "Leila",
    "Sara",
    "Hana",
    "Grace",
    "Esther",
    "Divine",
    "Thida",
    "Aster",
    "Ahmed",
    "Mohammed",
    "Oleksandr",
    "Dmitri",
    "Yusuf",
    "Ibrahim",
    "Omar",
    "Ali",
    "Jean",
    "Pierre",
    "Emmanuel",
    "Aung",
    "Tesfaye",
]
FAMILY = [
    "Haddad",
    "Kovalenko",
    "Shevchenko",
    "Al-Hassan",
    "Ibrahim",
    "Mahmoud",
    "Abdullah",
    "Mukendi",
    "Kabila",
    "Tshisekedi",
    "Win",
    "Htun",
    "Gebremedhin",
    "Tesfay",
    "Diallo",
    "Traore",
    "Keita",
    "Yousef",
    "Rahimi",
    "Karimi",
    "Bondarenko",
    "Melnyk",
]
ITEM_TEXT = {
    EvidenceItem.Kind.PHYSICAL: "Shell fragment recovered at the scene",
    EvidenceItem.Kind.DOCUMENT: "Detention register, handwritten, 40 pages",
    EvidenceItem.Kind.PHOTOGRAPH: "Photographs of the damaged building",
    EvidenceItem.Kind.VIDEO: "Video of the attack filmed by a resident",
    EvidenceItem.Kind.AUDIO: "Intercepted radio communication",
    EvidenceItem.Kind.STATEMENT: "Witness statement taken in the field",
    EvidenceItem.Kind.OPEN_SOURCE: "Open-source capture of a social media post",
    EvidenceItem.Kind.REPORT: "Forensic report on the remains",
}
LATER_STEPS = (
    (CustodyEvent.Kind.SEALED, "Evidence store", "Sealed in an evidence bag"),
    (CustodyEvent.Kind.MOVED, "Evidence store, shelf B", "Moved to long-term storage"),
    (CustodyEvent.Kind.EXAMINED, "Forensic laboratory", "Forensic examination"),
    (CustodyEvent.Kind.COPIED, "Digital forensics", "Forensic copy made"),
    (CustodyEvent.Kind.TRANSFERRED, "Evidence store", "Hand-over within the team"),
)
PROTECTABLE = (
    CasePerson.Role.WITNESS,
    CasePerson.Role.VICTIM,
    CasePerson.Role.VICTIM_WITNESS,
    CasePerson.Role.INSIDER_WITNESS,
    CasePerson.Role.SOURCE,
)
PSEUDONYM_PREFIX = {
    CasePerson.Role.SUSPECT: "S",
    CasePerson.Role.VICTIM: "V",
    CasePerson.Role.WITNESS: "W",
    CasePerson.Role.VICTIM_WITNESS: "W",
    CasePerson.Role.INSIDER_WITNESS: "W",
    CasePerson.Role.EXPERT: "E",
    CasePerson.Role.SOURCE: "SRC",
}


# --- Writing rows ---------------------------------------------------------------------------


class Table:
    """The columns of one model's table, with defaults for the columns a row does not name."""

    def __init__(self, model: type[models.Model], now: datetime) -> None:
        self.model = model
        self.name = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in fields]
        self.defaults: list[Any] = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default: Any = now
            else:
                default = f.get_default()
            if isinstance(default, dict | list):
                default = json.dumps(default)
            self.defaults.append(default)
        self._attnames = [f.attname for f in fields]

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(map(values.get, self._attnames, self.defaults))


class Sink:
    """Sends rows to the database: ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}

    def reserve_ids(self, model: type[models.Model], n: int) -> int:
        """The first of ``n`` consecutive ids that no other row will take."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                (sequence,) = cursor.fetchone()
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
                (top,) = cursor.fetchone()
                cursor.execute("SELECT nextval(%s)", [sequence])
                (start,) = cursor.fetchone()
                start = max(start, top + 1)
                cursor.execute("SELECT setval(%s, %s)", [sequence, start + n])
                return start
            # SQLite: rows are written right after their ids are reserved, by one writer.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            (top,) = cursor.fetchone()
            return top + 1

    def write(self, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        columns = ", ".join(table.columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(
                    f"INSERT INTO {table.name} ({columns}) VALUES ({marks})",  # noqa: S608
                    [tuple(_sqlite_value(v) for v in row) for row in rows],
                )


def _sqlite_value(value: Any) -> Any:
    # Django stores datetimes on SQLite as naive UTC text.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- The data -------------------------------------------------------------------------------


@dataclass
class Team:
    leads: list[int]
    investigators: list[int]
    analysts: list[int]
    named: dict[str, int]


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    named: dict[str, int] = field(default_factory=dict)  # username -> number of cases
    long_chain_items: dict[str, int] = field(default_factory=dict)  # username -> item id


@dataclass
class _EventRow:
    """The fields a custody event's hash covers, named as ``evidence.custody`` reads them."""

    item_id: int
    seq: int
    kind: str
    actor_id: int
    recorded_at: datetime
    occurred_at: datetime
    from_user_id: int | None = None
    from_external: str = ""
    to_user_id: int | None = None
    to_external: str = ""
    location: str = ""
    purpose: str = ""
    notes: str = ""


@dataclass
class _AuditRow:
    """The fields an audit row's hash covers, named as ``audit.services`` reads them."""

    pk: int
    created_at: datetime
    actor_id: int | None
    actor_username: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    case_id: int | None
    details: dict[str, Any]
    ip: str | None = None
    user_agent: str = ""
    chain_seq: int | None = None


def _users(n_cases: int, now: datetime) -> Team:
    """The unit's staff, created once and reused by later runs (fixed usernames)."""
    password = make_password(SCALE_PASSWORD)
    pools = {
        UserRole.CASE_LEAD: ("scale_lead", max(4, n_cases // 100)),
        UserRole.INVESTIGATOR: ("scale_inv", max(6, n_cases // 50)),
        UserRole.ANALYST: ("scale_analyst", max(3, n_cases // 200)),
    }
    wanted: list[tuple[str, str]] = [
        (f"{prefix}_{i:05d}", role) for role, (prefix, n) in pools.items() for i in range(n)
    ]
    wanted += [(INVESTIGATOR_200, UserRole.INVESTIGATOR), (INVESTIGATOR_20K, UserRole.INVESTIGATOR)]
    existing = set(
        User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", flat=True)
    )
    rng = random.Random(7)  # noqa: S311 - made-up data, not secrets
    new = [
        User(
            username=username,
            email=f"{username}@scale.custos.invalid",
            full_name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
            password=password,
            clearance=Clearance.SECRET,
            date_joined=now,
        )
        for username, _ in wanted
        if username not in existing
    ]
    User.objects.bulk_create(new, batch_size=2000)
    ids = dict(
        User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", "pk")
    )
    groups = dict(Group.objects.values_list("name", "pk"))
    through = User.groups.through
    through.objects.bulk_create(
        [
            through(user_id=ids[username], group_id=groups[role])
            for username, role in wanted
            if username not in existing
        ],
        batch_size=2000,
    )

    def pool(role: str) -> list[int]:
        return [ids[u] for u, r in wanted if r == role and u.startswith(pools[role][0] + "_")]

    return Team(
        leads=pool(UserRole.CASE_LEAD),
        investigators=pool(UserRole.INVESTIGATOR),
        analysts=pool(UserRole.ANALYST),
        named={INVESTIGATOR_200: ids[INVESTIGATOR_200], INVESTIGATOR_20K: ids[INVESTIGATOR_20K]},
    )


def _named_members(index: int, n_cases: int) -> list[str]:
    """Which named investigators sit on the case at ``index`` (spread over the whole range)."""
    names = []
    step_20k = max(1, n_cases // 20_000)
    if index % step_20k == 0:
        names.append(INVESTIGATOR_20K)
    step_200 = max(1, n_cases // 200)
    if index % step_200 == min(1, step_200 - 1) and index // step_200 < 200:
        names.append(INVESTIGATOR_200)
    return names


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
    team = _users(cases, now)
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
    pseudonym_prefix = {k.value: v for k, v in PSEUDONYM_PREFIX.items()}
    done = 0
    while done < cases:
        count = min(batch_size, cases - done)
        with transaction.atomic():
            if sink.postgres:
                # Re-creatable benchmark data: no need to wait for each batch's WAL flush.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            batch = _Batch(sink, tables, rng)
            case_ids = iter(range(sink.reserve_ids(Case, count), 10**18))
            for index in range(done, done + count):
                year = year_of_index[index]
                next_number[year] = next_number.get(year, 0) + 1
                named = _named_members(index, cases)
                for name in named:
                    result.named[name] += 1
                long_for = next((n for n in named if n in long_chain_pending), None)
                if long_for:
                    long_chain_pending.discard(long_for)
                batch.case(
                    pk=next(case_ids),
                    year=year,
                    number=next_number[year],
                    team=team,
                    named=[team.named[n] for n in named],
                    crimes=crimes,
                    perm_ids=perm_ids,
                    long_chain_for=long_for,
                    pseudonym_prefix=pseudonym_prefix,
                )
            batch.flush()
            batch.write_audit(usernames)
            for name, item_id in batch.long_chain_items.items():
                result.long_chain_items[name] = item_id
        done += count
        if progress:
            progress(f"{done}/{cases} cases")
    for year, number in next_number.items():
        CaseReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": number})
    result.counts = dict(sink.counts)
    return result


class _Batch:
    """The rows of one batch of cases, built in memory and then written table by table."""

    def __init__(self, sink: Sink, tables: dict[Any, Table], rng: random.Random) -> None:
        self.sink, self.t, self.rng = sink, tables, rng
        self.now = datetime.now(UTC)
        self.rows: dict[Any, list[tuple[Any, ...]]] = {m: [] for m in tables}
        self.audit: list[_AuditRow] = []
        self.long_chain_items: dict[str, int] = {}
        self._pending_cases: list[dict[str, Any]] = []

    def add(self, model: Any, values: dict[str, Any]) -> None:
        self.rows[model].append(self.t[model].row(values))

    def audit_row(self, **values: Any) -> None:
        self.audit.append(_AuditRow(pk=0, **values))

    def case(
        self,
        *,
        pk: int,
        year: int,
        number: int,
        team: Team,
        named: list[int],
        crimes: dict[int, str],
        perm_ids: dict[str, int],
        long_chain_for: str | None,
        pseudonym_prefix: dict[str, str],
    ) -> None:
        rng = self.rng
        place, country, area = rng.choice(PLACES)
        reference = f"{settings.CUSTOS_CASE_PREFIX}-{year}-{number:04d}"
        start_of_year = datetime(year, 1, 1, tzinfo=UTC)
        span = min(364 * 86400, int((self.now - start_of_year).total_seconds()) - 86400)
        opened = start_of_year + timedelta(
            seconds=rng.randrange(max(span, 1)), microseconds=rng.randrange(1_000_000)
        )
        title = f"{rng.choice(EVENTS)} {place}"
        summary = (
            f"Reports of {title.lower()} in {area} ({year}); "
            f"{rng.randint(3, 400)} people reported affected."
        )
        period_start = opened.date() - timedelta(days=rng.randint(30, 900))
        period_end = (
            period_start + timedelta(days=rng.randint(1, 300)) if rng.random() < 0.7 else None
        )
        status = rng.choices(
            [s.value for s in Case.Status], weights=[10, 15, 40, 5, 10, 15, 5], k=1
        )[0]
        classification = rng.choices([0, 1, 2, 3], weights=[10, 50, 30, 10], k=1)[0]
        lead = rng.choice(team.leads)
        investigators = rng.sample(team.investigators, rng.randint(1, 2))
        analysts = rng.sample(team.analysts, 1) if rng.random() < 0.5 else []
        members = (
            [(lead, CaseMember.Role.LEAD)]
            + [(u, CaseMember.Role.INVESTIGATOR) for u in investigators + named if u != lead]
            + [(u, CaseMember.Role.ANALYST) for u in analysts]
        )
        custodians = [lead, *investigators, *named]

        # Incidents.
        incident_texts: list[str] = []
        crime_ids = list(crimes)
        alleged: set[str] = set()
        for _ in range(rng.randint(1, 3)):
            i_place, i_country, i_area = (
                (place, country, area) if rng.random() < 0.7 else rng.choice(PLACES)
            )
            start = period_start + timedelta(days=rng.randint(0, 29))
            i_title = f"{rng.choice(EVENTS)} {i_place}"
            description = f"Incident reported by witnesses in {i_place}."
            incident_id = len(self.rows[Incident]) + 1  # replaced by a real id in flush()
            self.add(
                Incident,
                {
                    "id": incident_id,
                    "case_id": pk,
                    "title": i_title,
                    "description": description,
                    "date_start": start,
                    "date_precision": Incident.Precision.DAY,
                    "place_name": i_place,
                    "country": i_country,
                    "admin_area": i_area,
                    "latitude": round(rng.uniform(-40, 50), 6),
                    "longitude": round(rng.uniform(-20, 70), 6),
                    "estimated_victims": rng.randint(1, 300),
                    "created_by_id": lead,
                    "created_at": opened,
                    "updated_at": opened,
                },
            )
            crime = rng.choice(crime_ids)
            alleged.add(crimes[crime])
            self.add(Incident.crimes.through, {"incident_id": incident_id, "crime_id": crime})
            incident_texts += [i_title, description, i_place, i_area]

        # Persons: a suspect and a few victims and witnesses, some protected.
        pseudonyms: list[str] = []
        person_ids: list[int] = []
        used_numbers: dict[str, int] = {}
        for k in range(rng.randint(1, 5)):
            role = CasePerson.Role.SUSPECT if k == 0 else rng.choice(PROTECTABLE)
            protected = role in PROTECTABLE and rng.random() < 0.5
            pseudonym = ""
            if protected:
                prefix = pseudonym_prefix[role]
                used_numbers[prefix] = used_numbers.get(prefix, 0) + 1
                pseudonym = f"{prefix}-{used_numbers[prefix]:04d}"
                pseudonyms.append(pseudonym)
            person_id = len(self.rows[Person]) + 1
            self.add(
                Person,
                {
                    "id": person_id,
                    "full_name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                    "birth_year": rng.randint(1940, 2010),
                    "gender": rng.choice(["female", "male", "unknown"]),
                    "nationality": country,
                    "affiliation": "Armed group" if role == CasePerson.Role.SUSPECT else "",
                    "created_by_id": lead,
                    "created_at": opened,
                    "updated_at": opened,
                },
            )
            case_person_id = len(self.rows[CasePerson]) + 1
            person_ids.append(case_person_id)
            self.add(
                CasePerson,
                {
                    "id": case_person_id,
                    "case_id": pk,
                    "person_id": person_id,
                    "role": role,
                    "protected": protected,
                    "pseudonym": pseudonym,
                    "created_by_id": lead,
                    "created_at": opened,
                },
            )
            if protected:
                self.add(
                    ProtectiveMeasure,
                    {
                        "case_person_id": case_person_id,
                        "kind": ProtectiveMeasure.Kind.IDENTITY_NON_DISCLOSURE,
                        "created_by_id": lead,
                        "created_at": opened,
                    },
                )
                # The lead who protected them holds the identity, as person_protect grants.
                self.add(
                    CasePersonUserObjectPermission,
                    {
                        "user_id": lead,
                        "permission_id": perm_ids[P.VIEW_IDENTITY],
                        "content_object_id": case_person_id,
                    },
                )

        # The case row, its crimes, team, permissions and history.
        case_crimes = rng.sample(crime_ids, rng.randint(1, 2))
        alleged.update(crimes[crime] for crime in case_crimes)
        search_document = "\n".join(
            p
            for p in [reference, title, summary, SITUATIONS[country], *incident_texts, *pseudonyms]
            if p
        )
        self.add(
            Case,
            {
                "id": pk,
                "reference": reference,
                "year": year,
                "number": number,
                "title": title,
                "summary": summary,
                "situation": SITUATIONS[country],
                "countries": country,
                "period_start": period_start,
                "period_end": period_end,
                "classification": classification,
                "sgbv": "Sexual" in title,
                "priority": rng.choice([p.value for p in Case.Priority]),
                "referral_source": "NGO report",
                "status": status,
                "search_document": search_document,
                **{
                    Case.crime_category_flag(c): c in alleged
                    for c in Crime.Category  # the flags as cases.services sets them
                },
                "created_by_id": lead,
                "created_at": opened,
                "updated_at": opened,
            },
        )
        for crime in case_crimes:
            self.add(Case.crimes.through, {"case_id": pk, "crime_id": crime})
        self.audit_row(
            created_at=opened,
            actor_id=lead,
            actor_username="",
            action="case.created",
            target_type="cases.case",
            target_id=str(pk),
            target_label=reference,
            case_id=pk,
            details={},
        )
        for user, role in members:
            self.add(
                CaseMember,
                {
                    "case_id": pk,
                    "user_id": user,
                    "role": role,
                    "added_by_id": lead,
                    "added_at": opened,
                },
            )
            for perm in P.ROLE_PERMISSIONS[role]:
                self.add(
                    CaseUserObjectPermission,
                    {"user_id": user, "permission_id": perm_ids[perm], "content_object_id": pk},
                )
            if user != lead:
                self.audit_row(
                    created_at=opened,
                    actor_id=lead,
                    actor_username="",
                    action="case.member_added",
                    target_type="cases.casemember",
                    target_id="",
                    target_label=f"({role})",
                    case_id=pk,
                    details={"role": role, "user_id": user},
                )
        self.add(
            StatusChange,
            {
                "case_id": pk,
                "from_status": "",
                "to_status": Case.Status.INTAKE,
                "reason": "Case opened",
                "actor_id": lead,
                "created_at": opened,
            },
        )
        if status != Case.Status.INTAKE:
            self.add(
                StatusChange,
                {
                    "case_id": pk,
                    "from_status": Case.Status.INTAKE,
                    "to_status": status,
                    "reason": "Assessment completed",
                    "actor_id": lead,
                    "created_at": opened + timedelta(days=7),
                },
            )

        # Evidence and custody.
        self._pending_cases.append(
            {
                "case_id": pk,
                "reference": reference,
                "opened": opened,
                "place": place,
                "custodians": custodians,
                "persons": person_ids,
                "long_chain_for": long_chain_for,
            }
        )

    def _items(self, first_item_id: int) -> Iterable[tuple[dict[str, Any], list[_EventRow]]]:
        """Items with their custody events, for every case of the batch."""
        rng = self.rng
        item_id = first_item_id
        for case in self._pending_cases:
            for number in range(1, rng.randint(5, 15) + 1):
                kind = rng.choice(list(ITEM_TEXT))
                actor = rng.choice(case["custodians"])
                created = case["opened"] + timedelta(
                    days=rng.randint(1, 300), microseconds=rng.randrange(1_000_000)
                )
                collected = (
                    created - timedelta(days=rng.randint(0, 20)) if rng.random() < 0.6 else None
                )
                source_person = rng.choice(case["persons"]) if rng.random() < 0.2 else None
                first_kind = (
                    CustodyEvent.Kind.COLLECTED if collected else CustodyEvent.Kind.RECEIVED
                )
                collected_by = "Field team" if collected else ""
                source_text = "" if collected else "Submitted by a partner organisation"
                events = [
                    _EventRow(
                        item_id=item_id,
                        seq=1,
                        kind=first_kind,
                        actor_id=actor,
                        recorded_at=created,
                        occurred_at=collected or created,
                        from_external=collected_by if collected else source_text,
                        to_user_id=actor,
                        location=f"Evidence store, {case['place']}",
                        purpose="Registered as evidence",
                    )
                ]
                length = rng.randint(1, 5)
                if case["long_chain_for"] and number == 1:
                    length = LONG_CHAIN_EVENTS
                    self.long_chain_items[case["long_chain_for"]] = item_id
                custodian = actor
                for seq in range(2, length + 1):
                    step, location, purpose = rng.choice(LATER_STEPS)
                    when = created + timedelta(hours=seq * 3, microseconds=rng.randrange(10**6))
                    event = _EventRow(
                        item_id=item_id,
                        seq=seq,
                        kind=step,
                        actor_id=custodian,
                        recorded_at=when,
                        occurred_at=when,
                        location=location,
                        purpose=purpose,
                    )
                    if step == CustodyEvent.Kind.TRANSFERRED:
                        others = [u for u in case["custodians"] if u != custodian]
                        if not others:
                            event.kind, event.purpose = CustodyEvent.Kind.EXAMINED, "Examination"
                        else:
                            receiver = rng.choice(others)
                            event.from_user_id, event.to_user_id = custodian, receiver
                            event.actor_id = receiver  # the recipient accepts the hand-over
                            custodian = receiver
                    events.append(event)
                item = {
                    "id": item_id,
                    "case_id": case["case_id"],
                    "number": number,
                    "exhibit": f"{case['reference']}/E-{number:04d}",
                    "kind": kind,
                    "description": ITEM_TEXT[kind],
                    "collected_at": collected,
                    "collected_place": case["place"] if collected else "",
                    "collected_by": collected_by,
                    "source_kind": EvidenceItem.SourceKind.PERSON
                    if source_person
                    else EvidenceItem.SourceKind.OTHER,
                    "source_person_id": source_person,
                    "source_text": source_text,
                    "language": "en",
                    "graphic": kind in (EvidenceItem.Kind.PHOTOGRAPH, EvidenceItem.Kind.VIDEO)
                    and rng.random() < 0.3,
                    "status": EvidenceItem.Status.IN_CUSTODY,
                    "custodian_id": custodian,
                    "storage_location": events[-1].location,
                    "created_by_id": actor,
                    "created_at": created,
                }
                yield item, events
                item_id += 1

    def flush(self) -> None:
        """Gives the incidents, persons and items their real ids, then writes every table."""
        sink = self.sink
        # Local ids (1..n) of incidents, persons and case persons become reserved ids.
        remap: dict[Any, int] = {}
        for model in (Incident, Person, CasePerson):
            remap[model] = sink.reserve_ids(model, len(self.rows[model])) - 1
        idx = {m: self.t[m].columns.index for m in self.t}

        def shift(model: Any, columns: dict[str, Any]) -> None:
            table_rows = self.rows[model]
            for n, row in enumerate(table_rows):
                values = list(row)
                for column, target in columns.items():
                    i = idx[model](column)
                    if values[i] is not None:
                        values[i] += remap[target]
                table_rows[n] = tuple(values)

        shift(Incident, {"id": Incident})
        shift(Incident.crimes.through, {"incident_id": Incident})
        shift(Person, {"id": Person})
        shift(CasePerson, {"id": CasePerson, "person_id": Person})
        shift(ProtectiveMeasure, {"case_person_id": CasePerson})
        shift(CasePersonUserObjectPermission, {"content_object_id": CasePerson})
        for case in self._pending_cases:
            case["persons"] = [p + remap[CasePerson] for p in case["persons"]]

        # Rows without a reserved id take theirs from the sequence in COPY.
        for model in (
            Case,
            Case.crimes.through,
            Incident,
            Incident.crimes.through,
            Person,
            CasePerson,
            ProtectiveMeasure,
            CasePersonUserObjectPermission,
            CaseMember,
            CaseUserObjectPermission,
            StatusChange,
        ):
            self._write_without_auto_id(model)

        # Items and events: at most one batch of each in memory.
        n_items_guess = len(self._pending_cases) * 15
        first_item = sink.reserve_ids(EvidenceItem, n_items_guess)
        items, events = [], []
        for item, chain in self._items(first_item):
            prev = GENESIS
            first_hash = ""
            for event in chain:
                values = dataclasses.asdict(event)
                event_h = custody.chain_hash(prev, values)
                events.append(
                    self.t[CustodyEvent].row({**values, "prev_hash": prev, "hash": event_h})
                )
                prev = event_h
                first_hash = first_hash or event_h
            item["custody_seq"], item["custody_head"] = len(chain), prev
            items.append(self.t[EvidenceItem].row(item))
            self.audit_row(
                created_at=item["created_at"],
                actor_id=item["created_by_id"],
                actor_username="",
                action="evidence.created",
                target_type="evidence.evidenceitem",
                target_id=str(item["id"]),
                target_label=item["exhibit"],
                case_id=item["case_id"],
                # As evidence.services writes it: the first event, for verify_custody.
                details={
                    "item": item["id"],
                    "exhibit": item["exhibit"],
                    "seq": 1,
                    "hash": first_hash,
                },
            )
        self.rows[EvidenceItem] = items
        self.rows[CustodyEvent] = events
        self._write_without_auto_id(EvidenceItem)
        self._write_without_auto_id(CustodyEvent)

    def _write_without_auto_id(self, model: Any) -> None:
        table = self.t[model]
        rows = self.rows[model]
        if rows and rows[0][0] is None:  # no id given: reserve a range for them
            start = self.sink.reserve_ids(model, len(rows))
            rows = [(start + n, *row[1:]) for n, row in enumerate(rows)]
        self.sink.write(table, rows)
        self.rows[model] = []

    def write_audit(self, usernames: dict[int, str]) -> None:
        """Audit rows, already sealed: chained after the head, under the head's row lock."""
        if not self.audit:
            return
        self.audit.sort(key=lambda r: r.created_at)
        chain = AuditChain.objects.select_for_update().filter(pk=1).first()
        if chain is None:
            chain = AuditChain.objects.create(pk=1)
            chain = AuditChain.objects.select_for_update().get(pk=1)
        audit_seal()  # anything committed meanwhile is chained before ours
        chain.refresh_from_db()
        start = self.sink.reserve_ids(AuditEvent, len(self.audit))
        prev, seq = chain.head_hash, chain.seq
        table = self.t[AuditEvent]
        rows = []
        for n, row in enumerate(self.audit):
            seq += 1
            row.pk, row.chain_seq = start + n, seq
            row.actor_username = usernames.get(row.actor_id, "") if row.actor_id else ""
            row_hash = chain_hash(prev, row)  # type: ignore[arg-type]
            rows.append(
                table.row(
                    {
                        "id": row.pk,
                        "created_at": row.created_at,
                        "actor_id": row.actor_id,
                        "actor_username": row.actor_username,
                        "action": row.action,
                        "target_type": row.target_type,
                        "target_id": row.target_id,
                        "target_label": row.target_label,
                        "case_id": row.case_id,
                        "ip": None,
                        "user_agent": "",
                        "details": json.dumps(row.details, sort_keys=True),
                        "chain_seq": seq,
                        "prev_hash": prev,
                        "hash": row_hash,
                    }
                )
            )
            prev = row_hash
        self.sink.write(table, rows)
        chain.seq, chain.head_hash, chain.sealed_at = seq, prev, datetime.now(UTC)
        chain.save(update_fields=["seq", "head_hash", "sealed_at"])
        self.audit = []

"""What a case package says: its scope, how it names persons, and its hash manifest.

Everything here reads the database as of the package's *snapshot time* (when the request was
approved): evidence items, files and custody events recorded later are left out, so that
parts rendered at different moments (on different workers, or again after a retry) and the
manifest built at assembly agree with each other, and the integrity statement can say exactly
which state of the case the package reflects.

Persons: a protected person appears by pseudonym unless the package discloses them
(:class:`PackageDisclosure`); nothing here hands a template the registry row of a person it
must not name. Files: the package reads them as a reader holding exactly the identities it
discloses (``evidence.access``): the name of a file of an item identifying anyone else is
withheld (its hash stays, so the file can still be matched).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from cases.models import CasePerson, Incident
from cases.selectors import protected_anywhere
from evidence.access import Reader, identities_of_items, reader_for_identities
from evidence.models import Allegation, CustodyEvent, EvidenceFile, EvidenceItem
from partners.models import Package

MANIFEST_FORMAT = "custos-package-manifest/1"
HASH_LINE = 32  # hex characters per printed line of a SHA-256 (2 lines of 32)


def snapshot_time(package: Package) -> datetime:
    """The moment whose state of the case the package reflects: its approval."""
    return package.decided_at or package.requested_at or timezone.now()


def iso(value: datetime | None) -> str:
    """A date and time as printed in packages: UTC, to the second, unambiguous in court."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def hash_lines(value: str) -> list[str]:
    """A hex digest split into fixed-width lines (no costly CSS word breaking)."""
    return [value[i : i + HASH_LINE] for i in range(0, len(value), HASH_LINE)] or [""]


def hash_text(value: str) -> str:
    """The lines of ``hash_lines`` as one text (printed with ``white-space: pre``: one text
    box per digest is much cheaper to lay out than a box per line)."""
    return "\n".join(hash_lines(value))


def user_label(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- Scope -------------------------------------------------------------------------------------


def scoped_items(package: Package) -> QuerySet[EvidenceItem]:
    """The package's evidence items (all of the case's, or those chosen), by exhibit number."""
    items = EvidenceItem.objects.filter(
        case_id=package.case_id, created_at__lte=snapshot_time(package)
    )
    if not package.all_evidence:
        items = items.filter(pk__in=package.evidence_items.values("pk"))
    return items.order_by("number")


def scoped_allegations(package: Package) -> QuerySet[Allegation]:
    allegations = Allegation.objects.filter(
        case_id=package.case_id, created_at__lte=snapshot_time(package)
    )
    if not package.all_allegations:
        allegations = allegations.filter(pk__in=package.allegations.values("pk"))
    return allegations.order_by("id")


def item_slice(package: Package, offset: int, limit: int) -> list[EvidenceItem]:
    return list(scoped_items(package)[offset : offset + limit])


def files_by_item(package: Package, item_ids: list[int]) -> dict[int, list[EvidenceFile]]:
    files: dict[int, list[EvidenceFile]] = {pk: [] for pk in item_ids}
    rows = (
        EvidenceFile.objects.filter(item_id__in=item_ids, uploaded_at__lte=snapshot_time(package))
        .select_related("blob")
        .order_by("item_id", "uploaded_at", "id")
    )
    for file in rows:
        files[file.item_id].append(file)
    return files


def package_reader(package: Package) -> Reader:
    """The package as a reader of evidence files: it holds the identities it discloses."""
    return reader_for_identities(disclosed_ids(package))


def withheld_file_ids(package: Package, files: dict[int, list[EvidenceFile]]) -> set[int]:
    """Ids of the files (``files`` by item id) whose name the package must not print: files
    of an item identifying a protected person the package does not disclose, except an
    approved redacted copy (the one file-access rule, ``evidence.access``)."""
    reader = package_reader(package)
    identifies = identities_of_items(files)
    return {
        file.pk
        for item_id, item_files in files.items()
        for file in item_files
        if not reader.may_read_file(file, identifies.get(item_id, frozenset()))
    }


def custody_events(package: Package, item_ids: list[int]) -> QuerySet[CustodyEvent]:
    return (
        CustodyEvent.objects.filter(item_id__in=item_ids, recorded_at__lte=snapshot_time(package))
        .select_related("actor", "from_user", "to_user")
        .order_by("item__number", "seq")
    )


# --- Persons -----------------------------------------------------------------------------------


def disclosed_ids(package: Package) -> dict[int, str]:
    """Case person id → the approver's justification, for each disclosed identity."""
    return dict(package.disclosures.values_list("case_person_id", "justification"))


def person_labels(package: Package) -> dict[int, str]:
    """Case person id → how the package names them: the real name of a person who is not
    protected or whose identity the package discloses, the pseudonym otherwise."""
    disclosed = disclosed_ids(package)
    labels = {}
    rows = (
        CasePerson.objects.filter(case_id=package.case_id)
        .annotate(anywhere=protected_anywhere())
        .values_list("pk", "anywhere", "pseudonym", "person__full_name")
    )
    for pk, protected, pseudonym, full_name in rows:
        visible = not protected or pk in disclosed
        labels[pk] = full_name if visible else pseudonym or gettext("Withheld (protected person)")
    return labels


def printed_person_ids(package: Package) -> list[int]:
    """The case persons the package prints by name: not protected (in any case), or
    disclosed. Recorded when rendering starts (``Package.printed_persons``)."""
    disclosed = disclosed_ids(package)
    rows = (
        CasePerson.objects.filter(case_id=package.case_id)
        .annotate(anywhere=protected_anywhere())
        .values_list("pk", "anywhere")
    )
    return sorted(pk for pk, protected in rows if not protected or pk in disclosed)


def printed_file_item_ids(package: Package) -> list[int]:
    """The package's items whose file names it prints (the package's reader may read their
    files). Recorded when rendering starts (``Package.printed_file_items``)."""
    reader = package_reader(package)
    identities = identities_of_items(scoped_items(package).values_list("pk", flat=True))
    return sorted(pk for pk, persons in identities.items() if reader.may_read_item(persons))


@dataclass(frozen=True)
class PersonEntry:
    """A person as the package shows them. ``name``, ``affiliation``, ``unit`` and ``rank``
    are empty for a protected person the package does not disclose."""

    label: str
    role: str
    protected: bool
    disclosed: bool
    justification: str = ""
    affiliation: str = ""
    unit: str = ""
    rank: str = ""
    measures: list[str] = field(default_factory=list)


def person_entries(package: Package) -> list[PersonEntry]:
    disclosed = disclosed_ids(package)
    entries = []
    rows = (
        CasePerson.objects.filter(case_id=package.case_id)
        .annotate(anywhere=protected_anywhere())
        .select_related("person")
        .prefetch_related("measures")
        .order_by("role", "id")
    )
    for cp in rows:
        measures = [m.get_kind_display() for m in cp.measures.all()]
        if cp.anywhere and cp.pk not in disclosed:
            entries.append(
                PersonEntry(
                    label=cp.pseudonym or gettext("Withheld (protected person)"),
                    role=cp.get_role_display(),
                    protected=True,
                    disclosed=False,
                    measures=measures,
                )
            )
            continue
        person = cp.person
        entries.append(
            PersonEntry(
                label=person.full_name,
                role=cp.get_role_display(),
                protected=cp.anywhere,
                disclosed=cp.pk in disclosed,
                justification=disclosed.get(cp.pk, ""),
                affiliation=person.affiliation,
                unit=person.unit,
                rank=person.rank,
                measures=measures,
            )
        )
    return entries


# --- Incidents ---------------------------------------------------------------------------------


def incidents(package: Package) -> QuerySet[Incident]:
    return (
        Incident.objects.filter(case_id=package.case_id)
        .prefetch_related("crimes")
        .order_by("date_start", "id")
    )


# --- The manifest ------------------------------------------------------------------------------


def _manifest_head(package: Package) -> dict:
    case = package.case
    return {
        "format": MANIFEST_FORMAT,
        "package": {
            "reference": package.reference,
            "uid": str(package.uid),
            "case": case.reference,
            "recipient": package.recipient,
            "language": package.language,
            "snapshot": snapshot_time(package).astimezone(UTC).isoformat(timespec="seconds"),
        },
        "algorithm": "sha256",
    }


def manifest_item_lines(package: Package, items: list[EvidenceItem]) -> list[str]:
    """The manifest's lines for ``items`` (one compact JSON object per item): its files'
    SHA-256 and the head of its custody chain as of the snapshot."""
    ids = [item.pk for item in items]
    files = files_by_item(package, ids)
    heads: dict[int, tuple[int, str]] = {}
    rows = (
        CustodyEvent.objects.filter(item_id__in=ids, recorded_at__lte=snapshot_time(package))
        .order_by("item_id", "seq")
        .values_list("item_id", "seq", "hash")
    )
    for item_id, seq, digest in rows.iterator(chunk_size=2000):
        heads[item_id] = (seq, digest)
    withheld = withheld_file_ids(package, files)
    lines = []
    for item in items:
        seq, head = heads.get(item.pk, (0, ""))
        entry = {
            "exhibit": item.exhibit,
            "files": [
                {
                    # A withheld name is null: the file identifies a protected person.
                    "name": None if f.pk in withheld else f.filename,
                    "role": f.role,
                    "size": f.blob.size,
                    "sha256": f.blob.sha256,
                }
                for f in files[item.pk]
            ],
            "custody": {"events": seq, "head": head},
        }
        lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
    return lines


MANIFEST_CHUNK = 500


def manifest_lines(package: Package, offset: int = 0, limit: int | None = None) -> Iterator[str]:
    """The manifest, line by line: a JSON document with one line per evidence item, so that
    the annex can print it line for line and a reader can check it against the attached
    file. ``offset``/``limit`` give the lines of a range of items (with the opening line
    when the range starts the list, the closing one when it ends it), for an annex part.
    Reads the items in chunks (bounded memory)."""
    ids = list(scoped_items(package).values_list("pk", flat=True))
    total = len(ids)
    end = total if limit is None else min(total, offset + limit)
    if offset == 0:
        head = json.dumps(_manifest_head(package), ensure_ascii=False, separators=(",", ":"))
        yield head[:-1] + ',"items":['
    for start in range(offset, end, MANIFEST_CHUNK):
        stop = min(end, start + MANIFEST_CHUNK)
        chunk = list(EvidenceItem.objects.filter(pk__in=ids[start:stop]).order_by("number"))
        for n, line in enumerate(manifest_item_lines(package, chunk)):
            yield line if start + n == total - 1 else line + ","
    if end >= total:
        yield "]}"


def manifest_bytes(package: Package) -> bytes:
    return ("\n".join(manifest_lines(package)) + "\n").encode("utf-8")


def manifest_sha256(package: Package) -> str:
    return hashlib.sha256(manifest_bytes(package)).hexdigest()


def manifest_filename(package: Package) -> str:
    return f"{package.reference}-manifest.json"

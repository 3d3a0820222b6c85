"""The one rule for who may read what an evidence file says.

An item that identifies a protected person (its source person, or a person it is marked as
identifying) is *identifying*. Its original and every derived file, except a redacted copy a
case lead has approved, are served, previewed, named and counted only for a reader holding the
identity of every protected person it identifies. Everyone else who may see the item sees its
metadata, hashes and custody, the approved redacted copy where one exists, and "withheld:
identifies a protected person".

A *reader* is what is known about who reads: the protected persons (``CasePerson`` ids) whose
identity they hold. A user holds the identities granted to them; a package holds the identities
its approver disclosed in it. Every path to a file's bytes, name or text (download, preview,
item page, register, integrity page, CSV, matrix, package content, notifications, search) asks
this module, never a rule of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import User
from cases.models import Case, CasePerson
from evidence.models import EvidenceFile, EvidenceItem

WITHHELD = "withheld"


@dataclass(frozen=True)
class Reader:
    """Who reads files: the protected persons whose identity they hold."""

    holds: frozenset[int]

    def may_read_item(self, identifies: frozenset[int]) -> bool:
        """May this reader read the files of an item identifying ``identifies``?"""
        return identifies <= self.holds

    def may_read_file(self, file: EvidenceFile, identifies: frozenset[int]) -> bool:
        return is_approved_redaction(file) or self.may_read_item(identifies)


def is_approved_redaction(file: EvidenceFile) -> bool:
    return file.role == EvidenceFile.Role.REDACTED and file.redaction_approved_at is not None


def reader_for_user(user: User, case: Case) -> Reader:
    from cases.selectors import identity_grants

    return Reader(holds=identity_grants(user, case))


def reader_for_identities(case_person_ids: Iterable[int]) -> Reader:
    """A reader holding exactly these identities (a package's disclosures)."""
    return Reader(holds=frozenset(case_person_ids))


def _protected_persons() -> QuerySet[CasePerson, Any]:
    """The registry persons protected in any case, as a subquery: protection follows the
    person, so a flag lifted on one link (by SQL, say) does not open the files."""
    return CasePerson.objects.filter(protected=True).values("person_id")


def identities_of_items(item_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """For each item id, the protected persons it identifies (two queries for any number).

    A case person counts as protected when their person is protected in any case."""
    ids = list(item_ids)
    found: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return {}
    sources = EvidenceItem.objects.filter(
        pk__in=ids,
        source_person__isnull=False,
        source_person__person_id__in=_protected_persons(),
    ).values_list("pk", "source_person_id")
    marked = EvidenceItem.identifies.through.objects.filter(
        evidenceitem_id__in=ids, caseperson__person_id__in=_protected_persons()
    ).values_list("evidenceitem_id", "caseperson_id")
    for item_id, person_id in [*sources, *marked]:
        found[item_id].add(person_id)
    return {pk: frozenset(found.get(pk, ())) for pk in ids}


def identities_of(item: EvidenceItem) -> frozenset[int]:
    return identities_of_items([item.pk])[item.pk]


def identifying_items(case: Case) -> dict[int, frozenset[int]]:
    """The case's identifying items only, by id, with the persons each identifies."""
    protected = CasePerson.objects.filter(case=case, person_id__in=_protected_persons()).values(
        "pk"
    )
    ids = (
        EvidenceItem.objects.filter(case=case)
        .filter(Q(source_person__in=protected) | Q(identifies__in=protected))
        .values_list("pk", flat=True)
        .distinct()
    )
    return {pk: persons for pk, persons in identities_of_items(ids).items() if persons}


@dataclass(frozen=True)
class ItemFiles:
    """An item's files as one reader may see them."""

    readable: list[EvidenceFile]
    withheld_count: int  # not shown to the reader: only that some files are withheld

    @property
    def withheld(self) -> bool:
        return self.withheld_count > 0


def files_for_reader(
    reader: Reader, item: EvidenceItem, files: Iterable[EvidenceFile], identifies: frozenset[int]
) -> ItemFiles:
    readable, withheld = [], 0
    for file in files:
        if reader.may_read_file(file, identifies):
            readable.append(file)
        else:
            withheld += 1
    return ItemFiles(readable=readable, withheld_count=withheld)

"""Reads of evidence, always through the cases the asking user may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Model, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from cases import permissions as P
from cases.models import Case, CaseUserObjectPermission
from cases.selectors import CaseAccess, TimelineEntry, load_with_case_access
from evidence import access
from evidence.models import (
    CustodyEvent,
    CustodyTransfer,
    EvidenceFile,
    EvidenceItem,
    EvidenceLink,
    StoredBlob,
)


def custody_recipients(item: EvidenceItem, actor: User) -> QuerySet[User]:
    """Who may receive ``item`` from ``actor``: active members of its case who may contribute
    to it (its leads and investigators) and are cleared for the item; never the actor. The
    hand-over form offers them, and ``transfer_initiate`` accepts no one else."""
    contributors = CaseUserObjectPermission.objects.filter(
        content_object_id=item.case_id, permission__codename=P.CONTRIBUTE
    ).values("user_id")
    return (
        User.objects.filter(pk__in=contributors, is_active=True, clearance__gte=item.classification)
        .exclude(pk=actor.pk)
        .order_by("username")
    )


def item_access(user: User, pk: int, perm: str = P.VIEW) -> tuple[EvidenceItem, CaseAccess]:
    """An item for ``user``: 404 unless they may see it (its case, and its classification),
    403 without ``perm``. Two queries."""
    return load_with_case_access(
        user,
        EvidenceItem.objects.cleared_for(user).select_related("custodian"),
        pk,
        case="case",
        perm=perm,
    )


def file_for_change(user: User, pk: int, perm: str = P.CHANGE) -> tuple[EvidenceFile, CaseAccess]:
    """A file of an item ``user`` may see, for an action on it (not to read it): 404 unless
    the item is visible, 403 without ``perm``; the service decides the rest."""
    files = EvidenceFile.objects.filter(
        item__in=EvidenceItem.objects.cleared_for(user).values("pk")
    ).select_related("blob")
    return load_with_case_access(user, files, pk, case="item__case", perm=perm)


def file_access(user: User, pk: int) -> tuple[EvidenceFile, CaseAccess]:
    """A file whose bytes ``user`` may read: 404 unless its item is visible to them and the
    file-access rule (``evidence.access``) lets them read it, the same answer as for a file
    that does not exist."""
    file, case_read = file_for_change(user, pk, P.VIEW)
    reader = access.reader_for_user(user, file.item.case)
    if not reader.may_read_file(file, access.identities_of(file.item)):
        raise Http404
    return file, case_read


def file_readable_by(user: User, file: EvidenceFile) -> bool:
    """May ``user`` name and open ``file`` (its item visible to them, the rule satisfied)?"""
    if not EvidenceItem.objects.visible_to(user).filter(pk=file.item_id).exists():
        return False
    reader = access.reader_for_user(user, file.item.case)
    return reader.may_read_file(file, access.identities_of(file.item))


def transfer_access(user: User, pk: int) -> tuple[CustodyTransfer, CaseAccess]:
    """A hand-over of an item ``user`` may see: 404 otherwise."""
    transfers = CustodyTransfer.objects.filter(
        item__in=EvidenceItem.objects.cleared_for(user).values("pk")
    ).select_related("from_user", "to_user")
    return load_with_case_access(user, transfers, pk, case="item__case", perm=P.VIEW)


@dataclass(frozen=True)
class ReadableFiles:
    """An item's files as one user may see them, and what they may do with them."""

    files: access.ItemFiles
    identifies: frozenset[int]
    reader: access.Reader
    original_sha256: str  # shown even when the original is withheld (hashes are not secret)

    @property
    def may_read_item(self) -> bool:
        return self.reader.may_read_item(self.identifies)


def readable_files(user: User, item: EvidenceItem) -> ReadableFiles:
    """The files of ``item`` that ``user`` may name and open, and whether some are withheld."""
    files = list(files_of(item))
    identifies = access.identities_of(item)
    reader = access.reader_for_user(user, item.case)
    original = next((f for f in files if f.role == EvidenceFile.Role.ORIGINAL), None)
    return ReadableFiles(
        files=access.files_for_reader(reader, item, files, identifies),
        identifies=identifies,
        reader=reader,
        original_sha256=original.blob.sha256 if original else "",
    )


def register(
    case: Case,
    *,
    user: User,
    kind: str = "",
    status: str = "",
    custodian: int | None = None,
    query: str = "",
) -> QuerySet[EvidenceItem]:
    """The case's items ``user`` may see, with their original (its hash is shown to every
    reader; its name is not)."""
    items = (
        case.evidence.cleared_for(user)
        .select_related("custodian")
        .prefetch_related(
            Prefetch(
                "files",
                queryset=EvidenceFile.objects.filter(
                    role=EvidenceFile.Role.ORIGINAL
                ).select_related("blob"),
                to_attr="originals",
            )
        )
        .order_by("number")
    )
    if kind:
        items = items.filter(kind=kind)
    if status:
        items = items.filter(status=status)
    if custodian:
        items = items.filter(custodian_id=custodian)
    if query:
        items = items.filter(description__icontains=query) | items.filter(exhibit__icontains=query)
    return items


def custody_log(item: EvidenceItem) -> QuerySet[CustodyEvent]:
    return item.custody_events.select_related("actor", "from_user", "to_user").order_by("seq")


def files_of(item: EvidenceItem) -> QuerySet[EvidenceFile]:
    return item.files.select_related("blob", "uploaded_by", "derived_from").order_by(
        "uploaded_at", "id"
    )


def pending_transfer(item: EvidenceItem) -> CustodyTransfer | None:
    return (
        item.transfers.filter(status=CustodyTransfer.Status.PENDING)
        .select_related("from_user", "to_user")
        .first()
    )


@dataclass(frozen=True)
class IntegrityRow:
    """One line of a case's integrity page: a file the reader may name, or, for an item whose
    files are withheld from them, one line for all of them (neither names nor a count), with
    the original's hash and the worst result of their checks."""

    item: EvidenceItem
    file: EvidenceFile | None
    sha256: str
    last_fixity_at: datetime | None
    last_fixity_ok: bool | None

    @property
    def withheld(self) -> bool:
        return self.file is None


def integrity_of_case(user: User, case: Case) -> list[IntegrityRow]:
    """The integrity of the stored files of a case as ``user`` may see it, in a constant
    number of queries."""
    files = list(
        EvidenceFile.objects.filter(item__in=case.evidence.cleared_for(user).values("pk"))
        .select_related("item", "blob")
        .order_by("item__number", "id")
    )
    identities = access.identities_of_items({f.item_id for f in files})
    reader = access.reader_for_user(user, case)
    rows: list[IntegrityRow] = []
    withheld: dict[int, list[EvidenceFile]] = {}
    for file in files:
        if reader.may_read_file(file, identities[file.item_id]):
            blob = file.blob
            rows.append(
                IntegrityRow(file.item, file, blob.sha256, blob.last_fixity_at, blob.last_fixity_ok)
            )
        else:
            withheld.setdefault(file.item_id, []).append(file)
    for held in withheld.values():
        blobs = [f.blob for f in held]
        original = next((f for f in held if f.role == EvidenceFile.Role.ORIGINAL), None)
        results = {b.last_fixity_ok for b in blobs}
        ok = False if False in results else (None if None in results else True)
        checked = [b.last_fixity_at for b in blobs if b.last_fixity_at]
        rows.append(
            IntegrityRow(
                held[0].item,
                None,
                original.blob.sha256 if original else "",
                max(checked) if checked else None,
                ok,
            )
        )
    return sorted(
        rows, key=lambda r: (r.item.number, r.file is not None, r.file.pk if r.file else 0)
    )


def integrity_failures() -> QuerySet[StoredBlob]:
    """Stored files whose last fixity check failed (for unit admins: no case content)."""
    return StoredBlob.objects.filter(last_fixity_ok=False).prefetch_related(
        Prefetch("files", queryset=EvidenceFile.objects.select_related("item"))
    )


def audit_rows_hidden(case: Case, user: User) -> Q:
    """The audit rows of the case's activity that name what ``user`` may not see: items
    classified above their clearance (with their files and links), and the files the
    file-access rule withholds from them (a row per file would show how many there are)."""
    above = set(
        case.evidence.filter(classification__gt=user.clearance).values_list("pk", flat=True)
    )
    reader = access.reader_for_user(user, case)
    withheld = {
        pk
        for pk, persons in access.identifying_items(case).items()
        if not reader.may_read_item(persons)
    }
    files = [
        file.pk
        for file in EvidenceFile.objects.filter(item_id__in=above | withheld).only(
            "pk", "item_id", "role", "redaction_approved_at"
        )
        if file.item_id in above or not access.is_approved_redaction(file)
    ]
    links = EvidenceLink.objects.filter(item_id__in=above).values_list("pk", flat=True)

    def rows(model: type[Model], ids: Iterable[int]) -> Q:
        return Q(target_type=model._meta.label_lower, target_id__in=[str(pk) for pk in ids])

    return rows(EvidenceItem, above) | rows(EvidenceFile, files) | rows(EvidenceLink, links)


def timeline_entries(case: Case, user: User) -> list[TimelineEntry]:
    """Custody and collection events of the case's evidence ``user`` may see, for the case
    timeline (exhibit and kind of event: never a file's name)."""
    events = (
        CustodyEvent.objects.filter(item__in=case.evidence.cleared_for(user).values("pk"))
        .select_related("item", "actor")
        .order_by("occurred_at")
    )
    return [
        TimelineEntry(
            when=event.occurred_at,
            kind="custody",
            title=f"{event.item.exhibit}: {event.get_kind_display()}",
            detail=_("by %(actor)s") % {"actor": event.actor.get_full_name()},
            url=reverse("evidence:detail", args=[event.item_id]),
        )
        for event in events
    ]

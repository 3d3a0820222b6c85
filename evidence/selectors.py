"""Reads of evidence, always through the cases the asking user may see."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from cases import permissions as P
from cases.models import Case
from cases.selectors import CaseAccess, TimelineEntry, case_access
from evidence.models import CustodyEvent, CustodyTransfer, EvidenceFile, EvidenceItem, StoredBlob


def items_visible_to(user: User) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(case__in=Case.objects.visible_to(user).values("pk"))


def item_access(user: User, pk: int, perm: str = P.VIEW) -> tuple[EvidenceItem, CaseAccess]:
    """An item for ``user``: 404 unless its case is visible to them, 403 without ``perm``."""
    item = items_visible_to(user).select_related("case", "custodian").filter(pk=pk).first()
    if item is None:
        raise Http404
    return item, case_access(user, item.case_id, perm)


def file_access(user: User, pk: int) -> tuple[EvidenceFile, CaseAccess]:
    file = (
        EvidenceFile.objects.filter(item__in=items_visible_to(user).values("pk"), pk=pk)
        .select_related("item__case", "blob")
        .first()
    )
    if file is None:
        raise Http404
    return file, case_access(user, file.item.case_id)


def transfer_access(user: User, pk: int) -> tuple[CustodyTransfer, CaseAccess]:
    transfer = (
        CustodyTransfer.objects.filter(item__in=items_visible_to(user).values("pk"), pk=pk)
        .select_related("item__case", "from_user", "to_user")
        .first()
    )
    if transfer is None:
        raise Http404
    return transfer, case_access(user, transfer.item.case_id)


def register(
    case: Case, *, kind: str = "", status: str = "", custodian: int | None = None, query: str = ""
) -> QuerySet[EvidenceItem]:
    items = (
        case.evidence.select_related("custodian")
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


def integrity_of_case(case: Case) -> QuerySet[EvidenceFile]:
    return (
        EvidenceFile.objects.filter(item__case=case)
        .select_related("item", "blob")
        .order_by("item__number", "id")
    )


def integrity_failures() -> QuerySet[StoredBlob]:
    """Stored files whose last fixity check failed (for unit admins: no case content)."""
    return StoredBlob.objects.filter(last_fixity_ok=False).prefetch_related(
        Prefetch("files", queryset=EvidenceFile.objects.select_related("item"))
    )


def timeline_entries(case: Case) -> list[TimelineEntry]:
    """Custody and collection events of a case's evidence, for the case timeline."""
    events = (
        CustodyEvent.objects.filter(item__case=case)
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

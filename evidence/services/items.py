"""Writes about items: registering an item (with its first custody event and, optionally, its
original file) and editing what describes it, who may see it and whom it identifies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import Case, CasePerson
from cases.selectors import identity_grants
from evidence import custody
from evidence.models import CustodyEvent, EvidenceFile, EvidenceItem, StoredBlob
from evidence.services.common import check_dates, custody_details, lock_item, require
from evidence.services.files import FileAdded, check_upload, file_create, with_blob
from evidence.uploads import HashedUpload

Kind = CustodyEvent.Kind

ITEM_FIELDS = (
    "kind",
    "description",
    "collected_at",
    "collected_place",
    "collected_by",
    "source_kind",
    "source_person",
    "source_text",
    "language",
    "graphic",
    "storage_location",
    "seal_numbers",
    "capture_url",
    "capture_time",
    "capture_tool",
    "capture_collector",
    "capture_page_sha256",
    "capture_platform",
    "capture_account",
    "capture_published_at",
    "classification",
)


def _check_open_source(item: EvidenceItem, *, has_file: bool | None) -> None:
    """An open-source capture (Berkeley Protocol) says where and when it was captured and by
    whom, and comes with the captured file (``has_file`` is ``None`` when editing)."""
    check_dates(
        {
            "capture_time": item.capture_time,
            "capture_published_at": item.capture_published_at,
        }
    )
    if item.kind != EvidenceItem.Kind.OPEN_SOURCE:
        return
    errors = {}
    if not item.capture_url:
        errors["capture_url"] = _("An open-source capture needs the URL it was captured from.")
    if item.capture_time is None:
        errors["capture_time"] = _("An open-source capture needs the time it was captured.")
    if not item.capture_collector.strip():
        errors["capture_collector"] = _("An open-source capture needs the name of its collector.")
    if has_file is False:
        errors["upload"] = _("An open-source capture needs the captured file.")
    if (
        item.capture_time is not None
        and item.capture_published_at is not None
        and item.capture_published_at > item.capture_time
    ):
        errors["capture_published_at"] = _("It cannot have been published after it was captured.")
    if errors:
        raise ValidationError(errors)


def _check_classification(*, case: Case, actor: User, classification: int) -> None:
    """An item is classified at its case's level or above, never above the actor's clearance
    (they would lose sight of it)."""
    if classification < case.classification:
        raise ValidationError({"classification": _("An item cannot be classified below its case.")})
    if classification > actor.clearance:
        raise ValidationError(
            {"classification": _("You cannot classify an item above your own clearance.")}
        )


def _check_identifies(*, case: Case, persons: list[CasePerson]) -> None:
    if any(person.case_id != case.pk for person in persons):
        raise ValidationError({"identifies": _("Only persons of this case can be chosen.")})


def _check_unhidden(*, actor: User, case: Case, removed: set[int]) -> None:
    """Whoever takes a protected person off an item must hold their identity: otherwise
    removing them would open the item's files to the remover."""
    protected = set(
        CasePerson.objects.filter(
            pk__in=removed,
            case=case,
            person_id__in=CasePerson.objects.filter(protected=True).values("person_id"),
        ).values_list("pk", flat=True)
    )
    if protected - identity_grants(actor, case):
        raise ValidationError(
            _(
                "Only someone who holds the identity of a protected person can say that an "
                "item does not identify them."
            )
        )


def _access_details(item: EvidenceItem, fields: Iterable[str]) -> dict[str, Any]:
    """The item's access state among ``fields`` as an audit row holds it (its classification
    and its source person's id, never a name), for ``evidence.access_state``."""
    details: dict[str, Any] = {}
    if "classification" in fields:
        details["classification"] = item.classification
    if "source_person" in fields:
        details["source_person"] = item.source_person_id
    return details


def _record_identifies(
    *, item: EvidenceItem, actor: User, before: set[int], persons: list[CasePerson]
) -> None:
    after = {person.pk for person in persons}
    if after == before:
        return
    item.identifies.set(persons)
    # Case person ids, never names: the audit trail must not hold an identity. The whole new
    # set too, so that ``verify_access_state`` can compare the rows with it.
    audit_record(
        actor=actor,
        action="evidence.identifies_changed",
        target=item,
        details={
            "added": sorted(after - before),
            "removed": sorted(before - after),
            "identifies": sorted(after),
        },
    )


def item_create(
    *,
    case: Case,
    actor: User,
    upload: HashedUpload | None = None,
    identifies: list[CasePerson] | None = None,
    **data: Any,
) -> tuple[EvidenceItem, FileAdded | None]:
    """Registers an item with its exhibit number, the actor as first custodian, its first
    custody event and, optionally, its original file. The item is classified at its case's
    level unless a higher one is given; ``identifies`` names the persons its files reveal."""
    require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    if data.get("classification") is None:
        data["classification"] = case.classification
    _check_classification(case=case, actor=actor, classification=data["classification"])
    identifies = list(identifies or [])
    _check_identifies(case=case, persons=identifies)
    source = data.get("source_person")
    if source is not None and source.case_id != case.pk:
        raise ValidationError({"source_person": _("Only persons of this case can be chosen.")})
    if upload is not None:
        check_upload(upload)

    def write(blob: StoredBlob | None) -> tuple[EvidenceItem, FileAdded | None]:
        Case.objects.select_for_update().get(pk=case.pk)  # numbers are allocated one at a time
        number = (case.evidence.aggregate(n=Max("number"))["n"] or 0) + 1
        item = EvidenceItem(
            case=case,
            number=number,
            exhibit=f"{case.reference}/E-{number:04d}",
            custodian=actor,
            created_by=actor,
            **{k: v for k, v in data.items() if k in ITEM_FIELDS},
        )
        item.full_clean(exclude=["custody_head"])
        check_dates({"collected_at": item.collected_at})
        _check_open_source(item, has_file=upload is not None)
        item.save()
        _record_identifies(item=item, actor=actor, before=set(), persons=identifies)
        kind = Kind.COLLECTED if data.get("collected_at") else Kind.RECEIVED
        first = custody.append(
            item,
            CustodyEvent(
                kind=kind,
                actor=actor,
                occurred_at=data.get("collected_at") or timezone.now(),
                from_external=data.get("collected_by", "")
                if kind == Kind.COLLECTED
                else data.get("source_text", ""),
                to_user=actor,
                location=data.get("storage_location") or data.get("collected_place", ""),
                purpose=_("Registered as evidence"),
            ),
        )
        audit_record(
            actor=actor,
            action="evidence.created",
            target=item,
            details={
                **custody_details(item, first),
                **_access_details(item, ("classification", "source_person")),
                "identifies": sorted(person.pk for person in identifies),
            },
        )
        added = None
        if blob is not None and upload is not None:
            added = file_create(
                item=item,
                actor=actor,
                upload=upload,
                blob=blob,
                role=EvidenceFile.Role.ORIGINAL,
                derived_from=None,
                method="",
            )
        return item, added

    if upload is None:
        with transaction.atomic():
            return write(None)
    return with_blob(upload, write)


@transaction.atomic
def item_update(
    *, item: EvidenceItem, actor: User, identifies: list[CasePerson] | None = None, **data: Any
) -> EvidenceItem:
    """Edits what describes an item; custody fields change only through custody events.
    ``identifies`` (when given) replaces the persons the item identifies; taking a protected
    person off it (or off its source) needs their identity."""
    require(actor, item.case, P.CONTRIBUTE)
    case_require_open(item.case)
    item = lock_item(item)
    case = item.case
    editable = [f for f in ITEM_FIELDS if f not in ("storage_location", "seal_numbers")]
    changed = []
    for name in editable:
        if name in data and getattr(item, name) != data[name]:
            changed.append(name)
    if "classification" in changed:
        _check_classification(case=case, actor=actor, classification=data["classification"])
    removed: set[int] = set()
    if "source_person" in changed:
        new_source = data["source_person"]
        if new_source is not None and new_source.case_id != case.pk:
            raise ValidationError({"source_person": _("Only persons of this case can be chosen.")})
        if item.source_person_id:
            removed.add(item.source_person_id)
    before = set(item.identifies.values_list("pk", flat=True))
    if identifies is not None:
        identifies = list(identifies)
        _check_identifies(case=case, persons=identifies)
        removed |= before - {person.pk for person in identifies}
    if removed:
        _check_unhidden(actor=actor, case=case, removed=removed)
    for name in changed:
        setattr(item, name, data[name])
    if identifies is not None:
        _record_identifies(item=item, actor=actor, before=before, persons=identifies)
    if changed:
        item.full_clean()
        check_dates({"collected_at": item.collected_at})
        _check_open_source(item, has_file=None)
        item.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="evidence.updated",
            target=item,
            details={"fields": changed, **_access_details(item, changed)},
        )
    return item

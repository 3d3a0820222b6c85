"""Writes about evidence: items, files and custody. Each checks what the actor may do, owns its
transaction and writes its audit row in it; custody changes append to the item's chain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import notification_send
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import Case, CaseMember, CasePerson
from cases.selectors import case_permissions, identity_grants
from evidence import access, custody
from evidence.models import (
    CustodyEvent,
    CustodyTransfer,
    EvidenceFile,
    EvidenceItem,
    FixityCheck,
    StoredBlob,
)
from evidence.storage import blob_discard, blob_put, sha256_of_stored
from evidence.uploads import HashedUpload, safe_filename

Kind = CustodyEvent.Kind
Status = EvidenceItem.Status

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

# What the custodian may record, from which status, and the status it leaves the item in.
CUSTODY_STEPS: dict[str, tuple[frozenset[str], str | None]] = {
    Kind.CHECKED_OUT: (frozenset({Status.IN_CUSTODY}), Status.CHECKED_OUT),
    Kind.CHECKED_IN: (frozenset({Status.CHECKED_OUT}), Status.IN_CUSTODY),
    Kind.SEALED: (frozenset({Status.IN_CUSTODY}), None),
    Kind.SEAL_BROKEN: (frozenset({Status.IN_CUSTODY, Status.CHECKED_OUT}), None),
    Kind.RESEALED: (frozenset({Status.IN_CUSTODY}), None),
    Kind.MOVED: (frozenset({Status.IN_CUSTODY}), None),
    Kind.COPIED: (frozenset({Status.IN_CUSTODY, Status.CHECKED_OUT}), None),
    Kind.EXAMINED: (frozenset({Status.IN_CUSTODY, Status.CHECKED_OUT}), None),
    Kind.RELEASED: (frozenset({Status.IN_CUSTODY}), Status.RELEASED),
    Kind.RETURNED_TO_OWNER: (frozenset({Status.IN_CUSTODY}), Status.RETURNED),
    Kind.DESTROYED: (frozenset({Status.IN_CUSTODY}), Status.DESTROYED),
}
NEEDS_EXTERNAL_RECIPIENT = frozenset({Kind.RELEASED, Kind.RETURNED_TO_OWNER})


def _require(actor: User, case: Case, perm: str) -> None:
    if perm not in case_permissions(actor, case):
        raise PermissionDenied


def _lock(item: EvidenceItem) -> EvidenceItem:
    return EvidenceItem.objects.select_for_update().get(pk=item.pk)


def _item_url(item: EvidenceItem) -> str:
    return reverse("evidence:detail", args=[item.pk])


def _custody_details(item: EvidenceItem, event: CustodyEvent) -> dict[str, Any]:
    """What an audit row of a custody append holds, so that ``verify_custody`` can name an
    item or event deleted later (ids and hashes only, never case content)."""
    return {"item": item.pk, "exhibit": item.exhibit, "seq": event.seq, "hash": event.hash}


# Before this, a date is a typing error, not a late entry.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def _check_dates(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if value is not None and value < EARLIEST:
            raise ValidationError({name: _("A date before 1900 cannot be right.")})
        if value is not None and value > timezone.now():
            raise ValidationError({name: _("This date is in the future.")})


def _check_open_source(item: EvidenceItem, *, has_file: bool | None) -> None:
    """An open-source capture (Berkeley Protocol) says where and when it was captured and by
    whom, and comes with the captured file (``has_file`` is ``None`` when editing)."""
    _check_dates(
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


# --- Items and files --------------------------------------------------------------------------


@dataclass(frozen=True)
class FileAdded:
    file: EvidenceFile
    duplicate_of: EvidenceFile | None  # the same bytes were already in this case


def _check_upload(upload: HashedUpload | None) -> None:
    if upload is None:
        raise ValidationError({"upload": _("Choose a file to upload.")})
    if upload.size == 0:
        raise ValidationError({"upload": _("The file is empty.")})


def _file_create(
    *,
    item: EvidenceItem,
    actor: User,
    upload: HashedUpload,
    blob: StoredBlob,
    role: str,
    derived_from: EvidenceFile | None,
    method: str,
) -> FileAdded:
    if role == EvidenceFile.Role.ORIGINAL and item.files.filter(role=role).exists():
        raise ValidationError({"role": _("This item already has its original file.")})
    if role != EvidenceFile.Role.ORIGINAL:
        if derived_from is None or derived_from.item_id != item.pk:
            raise ValidationError(
                {"derived_from": _("Say which file of this item it is derived from.")}
            )
        if not method.strip():
            raise ValidationError({"method": _("Describe how this file was derived.")})
    duplicate = (
        EvidenceFile.objects.filter(blob=blob, item__case_id=item.case_id)
        .select_related("item")
        .first()
    )
    file = EvidenceFile.objects.create(
        item=item,
        role=role,
        derived_from=derived_from,
        method=method,
        blob=blob,
        filename=safe_filename(upload.name),
        uploaded_by=actor,
    )
    # The file joins the item's chain: which file, which bytes, as what and under which name.
    event = custody.append(
        item,
        CustodyEvent(
            kind=Kind.FILE_ATTACHED,
            actor=actor,
            occurred_at=file.uploaded_at,
            file=file,
            file_sha256=blob.sha256,
            file_role=role,
            file_name=file.filename,
            notes=method,
        ),
    )
    audit_record(
        actor=actor,
        action="evidence.file_added",
        target=file,
        details={
            "sha256": blob.sha256,
            "size": blob.size,
            "role": role,
            **({"duplicate_of": duplicate.pk} if duplicate else {}),
            **_custody_details(item, event),
        },
    )
    return FileAdded(file, duplicate)


def _with_blob(upload: HashedUpload, write: Any) -> Any:
    """Stores the upload's bytes, then runs ``write(blob)`` in a transaction; if that fails,
    the bytes stored for it are removed again: a failed upload leaves nothing behind."""
    blob, created = blob_put(upload)
    try:
        with transaction.atomic():
            return write(blob)
    except BaseException:
        if created:
            blob_discard(blob)
        raise
    finally:
        upload.close()


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
    _require(actor, case, P.CONTRIBUTE)
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
        _check_upload(upload)

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
        _check_dates({"collected_at": item.collected_at})
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
                **_custody_details(item, first),
                **_access_details(item, ("classification", "source_person")),
                "identifies": sorted(person.pk for person in identifies),
            },
        )
        added = None
        if blob is not None:
            added = _file_create(
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
    return _with_blob(upload, write)


def file_add(
    *,
    item: EvidenceItem,
    actor: User,
    upload: HashedUpload | None,
    role: str,
    derived_from: EvidenceFile | None = None,
    method: str = "",
) -> FileAdded:
    _require(actor, item.case, P.CONTRIBUTE)
    case_require_open(item.case)
    _check_upload(upload)
    if item.status == Status.DESTROYED:
        raise ValidationError(_("This item has been destroyed."))
    return _with_blob(
        upload,
        lambda blob: _file_create(
            item=_lock(item),
            actor=actor,
            upload=upload,
            blob=blob,
            role=role,
            derived_from=derived_from,
            method=method,
        ),
    )


@transaction.atomic
def item_update(
    *, item: EvidenceItem, actor: User, identifies: list[CasePerson] | None = None, **data: Any
) -> EvidenceItem:
    """Edits what describes an item; custody fields change only through custody events.
    ``identifies`` (when given) replaces the persons the item identifies; taking a protected
    person off it (or off its source) needs their identity."""
    _require(actor, item.case, P.CONTRIBUTE)
    case_require_open(item.case)
    item = _lock(item)
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
        _check_dates({"collected_at": item.collected_at})
        _check_open_source(item, has_file=None)
        item.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="evidence.updated",
            target=item,
            details={"fields": changed, **_access_details(item, changed)},
        )
    return item


@transaction.atomic
def redaction_approve(*, file: EvidenceFile, actor: User) -> EvidenceFile:
    """A case lead who holds every identity the item identifies approves a redacted version:
    from then on it is served to the readers of the case who do not hold them
    (``evidence.access``)."""
    file = (
        EvidenceFile.objects.select_for_update()
        .select_related("item__case", "blob")
        .get(pk=file.pk)
    )
    item = file.item
    _require(actor, item.case, P.CHANGE)
    case_require_open(item.case)
    if not access.reader_for_user(actor, item.case).may_read_item(access.identities_of(item)):
        raise PermissionDenied
    if file.role != EvidenceFile.Role.REDACTED:
        raise ValidationError(_("Only a redacted version can be approved."))
    if file.redaction_approved_at is not None:
        raise ValidationError(_("This redacted version is already approved."))
    file.redaction_approved_by = actor
    file.redaction_approved_at = timezone.now()
    file.save(update_fields=["redaction_approved_by", "redaction_approved_at"])
    audit_record(
        actor=actor,
        action="evidence.redaction_approved",
        target=file,
        details={"sha256": file.blob.sha256, "file": file.pk, "item": item.pk},
    )
    return file


# --- Custody ----------------------------------------------------------------------------------


def _when(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _check_occurred_at(item: EvidenceItem, occurred_at: datetime, *, late: bool) -> None:
    """A custody event happens after the item was acquired (collected, else its first event)
    and after the event before it; out of that order only as a late entry. Never in the
    future, never before 1900. Reads the first and last events only (by the unique index)."""
    if occurred_at < EARLIEST:
        raise ValidationError({"occurred_at": _("A date before 1900 cannot be right.")})
    if occurred_at > timezone.now():
        raise ValidationError({"occurred_at": _("A custody event cannot be in the future.")})
    if late or not item.custody_seq:
        return
    bounds = dict(
        item.custody_events.filter(seq__in={1, item.custody_seq}).values_list("seq", "occurred_at")
    )
    acquired = item.collected_at or bounds.get(1)
    if acquired is not None and occurred_at < acquired:
        raise ValidationError(
            {
                "occurred_at": _(
                    "The item was acquired on %(when)s: an event cannot have happened before. "
                    "If it did and is recorded only now, tick “late entry” and say why."
                )
                % {"when": _when(acquired)}
            }
        )
    previous = bounds.get(item.custody_seq)
    if previous is not None and occurred_at < previous:
        raise ValidationError(
            {
                "occurred_at": _(
                    "The previous event happened on %(when)s: this one cannot have happened "
                    "before. If it did and is recorded only now, tick “late entry” and say why."
                )
                % {"when": _when(previous)}
            }
        )


def _require_custodian(actor: User, item: EvidenceItem) -> None:
    _require(actor, item.case, P.CONTRIBUTE)
    if item.custodian_id != actor.pk:
        raise ValidationError(_("Only the current custodian can do this."))


@transaction.atomic
def custody_record(
    *,
    item: EvidenceItem,
    actor: User,
    kind: str,
    occurred_at: datetime | None = None,
    location: str = "",
    purpose: str = "",
    notes: str = "",
    to_external: str = "",
    seal_numbers: str = "",
    authorisation: str = "",
    late_entry: bool = False,
    late_reason: str = "",
) -> CustodyEvent:
    """Records what the custodian did with the item (check-out, seal, move, release, ...).

    It happened now, or at ``occurred_at``: never before the item was acquired or before the
    previous event, unless it is recorded as a ``late_entry`` with its ``late_reason``."""
    item = _lock(item)
    _require_custodian(actor, item)
    if kind not in CUSTODY_STEPS:
        raise ValidationError({"kind": _("This custody event cannot be recorded here.")})
    allowed_from, new_status = CUSTODY_STEPS[kind]
    if item.status not in allowed_from:
        raise ValidationError(
            {
                "kind": _("Not possible while the item is “%(status)s”.")
                % {"status": item.get_status_display()}
            }
        )
    occurred_at = occurred_at or timezone.now()
    late_reason = late_reason.strip() if late_entry else ""
    if late_entry and not late_reason:
        raise ValidationError({"late_reason": _("Say why this event is recorded late.")})
    _check_occurred_at(item, occurred_at, late=late_entry)
    if kind in NEEDS_EXTERNAL_RECIPIENT and not to_external.strip():
        raise ValidationError({"to_external": _("Say to whom the item is handed over.")})
    if kind == Kind.DESTROYED:
        if P.CHANGE not in case_permissions(actor, item.case):
            raise ValidationError({"kind": _("Only a case lead can destroy evidence.")})
        if not authorisation.strip():
            raise ValidationError({"authorisation": _("Record the authorisation for destruction.")})
        notes = f"{_('Authorisation')}: {authorisation}\n{notes}".strip()
    if kind in (Kind.SEALED, Kind.RESEALED):
        if not seal_numbers.strip():
            raise ValidationError({"seal_numbers": _("Record the seal numbers.")})
        item.seal_numbers = seal_numbers
    if kind == Kind.MOVED:
        if not location.strip():
            raise ValidationError({"location": _("Say where the item was moved to.")})
        item.storage_location = location
    if new_status:
        item.status = new_status
    if new_status in (Status.RELEASED, Status.RETURNED, Status.DESTROYED):
        item.custodian = None
    event = custody.append(
        item,
        CustodyEvent(
            kind=kind,
            actor=actor,
            occurred_at=occurred_at,
            from_user=actor,
            to_user=actor if item.custodian_id else None,
            to_external=to_external,
            location=location or item.storage_location,
            purpose=purpose,
            notes=notes,
            late_reason=late_reason,
        ),
    )
    audit_record(
        actor=actor,
        action=f"custody.{kind}",
        target=item,
        details=_custody_details(item, event),
    )
    return event


@transaction.atomic
def transfer_initiate(
    *, item: EvidenceItem, actor: User, to_user: User, purpose: str, notes: str = ""
) -> CustodyTransfer:
    """The custodian hands the item over; it is in transit until the recipient accepts.

    The item's row lock serialises concurrent hand-overs: exactly one succeeds."""
    item = _lock(item)
    _require_custodian(actor, item)
    if to_user.pk == actor.pk:
        raise ValidationError({"to_user": _("You already hold this item.")})
    if item.status != Status.IN_CUSTODY:
        raise ValidationError(
            _("The item cannot be handed over while it is “%(status)s”.")
            % {"status": item.get_status_display()}
        )
    if P.CONTRIBUTE not in case_permissions(to_user, item.case):
        raise ValidationError(
            {"to_user": _("The recipient must be an investigator or lead on this case.")}
        )
    if to_user.clearance < item.classification:
        raise ValidationError({"to_user": _("The recipient is not cleared for this item.")})
    try:
        with transaction.atomic():
            transfer = CustodyTransfer.objects.create(
                item=item, from_user=actor, to_user=to_user, purpose=purpose, notes=notes
            )
    except IntegrityError as exc:
        raise ValidationError(_("A hand-over of this item is already waiting.")) from exc
    item.status = Status.IN_TRANSIT
    item.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="custody.transfer_initiated",
        target=item,
        details={"to": to_user.get_username(), "transfer": transfer.pk},
    )
    notification_send(
        user=to_user,
        title=gettext_lazy("Evidence is being handed over to you"),
        url=reverse("evidence:transfer_accept", args=[transfer.pk]),
    )
    return transfer


@transaction.atomic
def transfer_accept(*, transfer: CustodyTransfer, actor: User, location: str = "") -> CustodyEvent:
    """The recipient (who has just re-entered their password) takes custody."""
    item = _lock(transfer.item)
    transfer = CustodyTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.to_user_id != actor.pk:
        raise ValidationError(_("This hand-over is meant for someone else."))
    if transfer.status != CustodyTransfer.Status.PENDING:
        raise ValidationError(_("This hand-over is no longer waiting."))
    _require(actor, item.case, P.CONTRIBUTE)
    item.custodian = actor
    item.status = Status.IN_CUSTODY
    if location:
        item.storage_location = location
    event = custody.append(
        item,
        CustodyEvent(
            kind=Kind.TRANSFERRED,
            actor=actor,
            occurred_at=timezone.now(),
            from_user=transfer.from_user,
            to_user=actor,
            location=location or item.storage_location,
            purpose=transfer.purpose,
            notes=transfer.notes,
        ),
    )
    transfer.status = CustodyTransfer.Status.ACCEPTED
    transfer.closed_at = timezone.now()
    transfer.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="custody.transferred",
        target=item,
        details={"from": transfer.from_user.get_username(), **_custody_details(item, event)},
    )
    notification_send(
        user=transfer.from_user,
        title=gettext_lazy("Your hand-over of evidence was accepted"),
        url=_item_url(item),
    )
    return event


@transaction.atomic
def transfer_cancel(*, transfer: CustodyTransfer, actor: User) -> None:
    item = _lock(transfer.item)
    transfer = CustodyTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.from_user_id != actor.pk:
        raise PermissionDenied
    _require(actor, item.case, P.CONTRIBUTE)
    if transfer.status != CustodyTransfer.Status.PENDING:
        raise ValidationError(_("This hand-over is no longer waiting."))
    transfer.status = CustodyTransfer.Status.CANCELLED
    transfer.closed_at = timezone.now()
    transfer.save(update_fields=["status", "closed_at"])
    item.status = Status.IN_CUSTODY
    item.save(update_fields=["status"])
    audit_record(actor=actor, action="custody.transfer_cancelled", target=item)


# --- Fixity -----------------------------------------------------------------------------------


def fixity_check(blob: StoredBlob) -> FixityCheck:
    """Re-hashes a stored file (streaming) and records the result; a failure notifies the
    leads of every case holding the file and is audited.

    The bytes must hash to the SHA-256 the custody chain recorded when each file of these
    bytes was attached, not only to the blob's own ``sha256``: rewriting the bytes and that
    column together is named too."""
    try:
        computed, error = sha256_of_stored(blob.storage_name), ""
    except OSError as exc:
        computed, error = "", f"{type(exc).__name__}: cannot read the stored file"
    ok = computed == blob.sha256
    unlike = sorted(
        f"{exhibit} #{seq}"
        for exhibit, seq, recorded in CustodyEvent.objects.filter(
            kind=Kind.FILE_ATTACHED, file__blob=blob
        ).values_list("item__exhibit", "seq", "file_sha256")
        if recorded != computed
    )
    if ok and unlike:
        ok = False
        error = f"differs from the SHA-256 the custody chain recorded: {', '.join(unlike)}"[:500]
    with transaction.atomic():
        check = FixityCheck.objects.create(blob=blob, ok=ok, computed_sha256=computed, error=error)
        StoredBlob.objects.filter(pk=blob.pk).update(
            last_fixity_at=check.checked_at, last_fixity_ok=ok
        )
        if not ok:
            for file in blob.files.select_related("item__case"):
                audit_record(
                    actor=None,
                    action="evidence.fixity_failed",
                    target=file.item,
                    details={"sha256": blob.sha256, "computed": computed},
                )
                leads = User.objects.filter(
                    case_memberships__case=file.item.case_id,
                    case_memberships__role=CaseMember.Role.LEAD,
                )
                for lead in leads:
                    notification_send(
                        user=lead,
                        title=gettext_lazy("An evidence file failed its integrity check"),
                        url=reverse("evidence:integrity", args=[file.item.case_id]),
                    )
    return check

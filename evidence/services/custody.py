"""Writes about custody: what the custodian records (check-out, seal, move, release...) and
hand-overs, each appended to the item's hash chain (``evidence.custody``)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import notification_send
from audit.services import audit_record
from cases import permissions as P
from cases.selectors import case_permissions
from evidence import custody
from evidence.models import CustodyEvent, CustodyTransfer, EvidenceItem
from evidence.selectors import custody_recipients
from evidence.services.common import EARLIEST, custody_details, item_url, lock_item, require

Kind = CustodyEvent.Kind
Status = EvidenceItem.Status

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


def _when(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


BEFORE_ACQUIRED = gettext_lazy(
    "The item was acquired on %(when)s: an event cannot have happened before. "
    "If it did and is recorded only now, tick “late entry” and say why."
)
BEFORE_PREVIOUS = gettext_lazy(
    "The previous event happened on %(when)s: this one cannot have happened "
    "before. If it did and is recorded only now, tick “late entry” and say why."
)


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
    previous = bounds.get(item.custody_seq)
    for bound, message in ((acquired, BEFORE_ACQUIRED), (previous, BEFORE_PREVIOUS)):
        if bound is not None and occurred_at < bound:
            raise ValidationError({"occurred_at": message % {"when": _when(bound)}})


def _require_custodian(actor: User, item: EvidenceItem) -> None:
    require(actor, item.case, P.CONTRIBUTE)
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
    item = lock_item(item)
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
        details=custody_details(item, event),
    )
    return event


@transaction.atomic
def transfer_initiate(
    *, item: EvidenceItem, actor: User, to_user: User, purpose: str, notes: str = ""
) -> CustodyTransfer:
    """The custodian hands the item over; it is in transit until the recipient accepts.

    The item's row lock serialises concurrent hand-overs: exactly one succeeds."""
    item = lock_item(item)
    _require_custodian(actor, item)
    if to_user.pk == actor.pk:
        raise ValidationError({"to_user": _("You already hold this item.")})
    if item.status != Status.IN_CUSTODY:
        raise ValidationError(
            _("The item cannot be handed over while it is “%(status)s”.")
            % {"status": item.get_status_display()}
        )
    if not custody_recipients(item, actor).filter(pk=to_user.pk).exists():
        if to_user.clearance < item.classification:
            raise ValidationError({"to_user": _("The recipient is not cleared for this item.")})
        raise ValidationError(
            {"to_user": _("The recipient must be an investigator or lead on this case.")}
        )
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
    item = lock_item(transfer.item)
    transfer = CustodyTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.to_user_id != actor.pk:
        raise ValidationError(_("This hand-over is meant for someone else."))
    if transfer.status != CustodyTransfer.Status.PENDING:
        raise ValidationError(_("This hand-over is no longer waiting."))
    require(actor, item.case, P.CONTRIBUTE)
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
        details={"from": transfer.from_user.get_username(), **custody_details(item, event)},
    )
    notification_send(
        user=transfer.from_user,
        title=gettext_lazy("Your hand-over of evidence was accepted"),
        url=item_url(item),
    )
    return event


@transaction.atomic
def transfer_cancel(*, transfer: CustodyTransfer, actor: User) -> None:
    item = lock_item(transfer.item)
    transfer = CustodyTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.from_user_id != actor.pk:
        raise PermissionDenied
    require(actor, item.case, P.CONTRIBUTE)
    if transfer.status != CustodyTransfer.Status.PENDING:
        raise ValidationError(_("This hand-over is no longer waiting."))
    transfer.status = CustodyTransfer.Status.CANCELLED
    transfer.closed_at = timezone.now()
    transfer.save(update_fields=["status", "closed_at"])
    item.status = Status.IN_CUSTODY
    item.save(update_fields=["status"])
    audit_record(actor=actor, action="custody.transfer_cancelled", target=item)

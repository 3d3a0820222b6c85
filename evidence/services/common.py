"""What the evidence services share: the permission check, the item's row lock and the
custody details an audit row holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case
from cases.selectors import case_permissions
from evidence.models import CustodyEvent, EvidenceItem


def require(actor: User, case: Case, perm: str) -> None:
    if perm not in case_permissions(actor, case):
        raise PermissionDenied


def lock_item(item: EvidenceItem) -> EvidenceItem:
    return EvidenceItem.objects.select_for_update().get(pk=item.pk)


def item_url(item: EvidenceItem) -> str:
    return reverse("evidence:detail", args=[item.pk])


def custody_details(item: EvidenceItem, event: CustodyEvent) -> dict[str, Any]:
    """What an audit row of a custody append holds, so that ``verify_custody`` can name an
    item or event deleted later (ids and hashes only, never case content)."""
    return {"item": item.pk, "exhibit": item.exhibit, "seq": event.seq, "hash": event.hash}


# Before this, a date is a typing error, not a late entry.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def check_dates(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if value is not None and value < EARLIEST:
            raise ValidationError({name: _("A date before 1900 cannot be right.")})
        if value is not None and value > timezone.now():
            raise ValidationError({name: _("This date is in the future.")})

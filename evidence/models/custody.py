"""The chain of custody of an item: its append-only events and hand-overs in progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from custos.append_only import Guard
from evidence.models.files import EvidenceFile
from evidence.models.items import EvidenceItem, OfItemQuerySet

if TYPE_CHECKING:
    pass


class CustodyTransfer(models.Model):
    """A hand-over waiting for the recipient: the item is in transit until they accept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the recipient")
        ACCEPTED = "accepted", _("Accepted")
        CANCELLED = "cancelled", _("Cancelled")

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="transfers")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incoming_transfers"
    )
    purpose = models.CharField(_("purpose"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    initiated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = OfItemQuerySet.as_manager()

    class Meta:
        ordering = ["-initiated_at"]
        constraints = [
            # At most one hand-over of an item can be waiting at a time.
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="pending"), name="one_pending_transfer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_user_id} → {self.to_user_id}"

    @property
    def audit_case_id(self) -> int:
        return self.item.case_id

    @property
    def audit_label(self) -> str:
        return self.item.exhibit


class CustodyEvent(models.Model):
    """One link in an item's chain of custody. Append-only in the database itself.

    ``hash`` covers the event's canonical content and ``prev_hash``, the hash of the event
    before it (see ``evidence/custody.py``); ``(item, seq)`` is unique, so the chain cannot
    fork even if two writers raced past the item's row lock.
    """

    class Kind(models.TextChoices):
        COLLECTED = "collected", _("Collected or seized")
        RECEIVED = "received", _("Received")
        TRANSFERRED = "transferred", _("Transferred")
        CHECKED_OUT = "checked_out", _("Checked out")
        CHECKED_IN = "checked_in", _("Returned from check-out")
        SEALED = "sealed", _("Sealed")
        SEAL_BROKEN = "seal_broken", _("Seal broken")
        RESEALED = "resealed", _("Resealed")
        MOVED = "moved", _("Moved")
        COPIED = "copied", _("Copied")
        EXAMINED = "examined", _("Examined")
        RELEASED = "released", _("Released to a partner")
        RETURNED_TO_OWNER = "returned_to_owner", _("Returned to owner")
        DESTROYED = "destroyed", _("Destroyed")
        FILE_ATTACHED = "file_attached", _("File attached")

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody_events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("event"), max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    occurred_at = models.DateTimeField(_("occurred"))
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_external = models.CharField(_("from (external)"), max_length=300, blank=True)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_external = models.CharField(_("to (external)"), max_length=300, blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # A file attached to the item (kind ``file_attached``): which file, its bytes' SHA-256,
    # its role and name are part of the hash chain, so re-pointing a file at other bytes is
    # named by verify_custody.
    file = models.ForeignKey(
        "EvidenceFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_role = models.CharField(max_length=20, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    # An event recorded out of order (occurred before the previous event or the acquisition)
    # says why; both times are shown.
    late_reason = models.TextField(_("reason for the late entry"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = OfItemQuerySet.as_manager()

    class Meta:
        ordering = ["item", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["item", "seq"], name="custody_event_seq_unique"),
            # A file is attached once: one event binds it to its chain.
            models.UniqueConstraint(
                fields=["file"], condition=Q(file__isnull=False), name="custody_event_file_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.seq} {self.kind}"

    @property
    def audit_case_id(self) -> int:
        return self.item.case_id

    @property
    def file_role_label(self) -> str:
        """The role the attached file had, as the files list names it."""
        return str(EvidenceFile.Role(self.file_role).label) if self.file_role else ""


# The columns an event's hash covers, by their attribute names on a model instance (and in
# ``values_list``), in three groups (``custody.canonical_bytes``): those of every event, those
# of the attached file (covered when a file is attached) and the reason of a late entry
# (covered when given), so that the hash of every event recorded before they existed stays valid.
CUSTODY_HASHED_ALWAYS = (
    "item_id",
    "seq",
    "kind",
    "actor_id",
    "recorded_at",
    "occurred_at",
    "from_user_id",
    "from_external",
    "to_user_id",
    "to_external",
    "location",
    "purpose",
    "notes",
)
CUSTODY_HASHED_FILE = ("file_id", "file_sha256", "file_role", "file_name")
CUSTODY_HASHED_LATE = ("late_reason",)
CUSTODY_HASHED_FIELDS = (*CUSTODY_HASHED_ALWAYS, *CUSTODY_HASHED_FILE, *CUSTODY_HASHED_LATE)

# Every column of an event, none of which may ever change (the frozen copies in the
# migrations are the rule as it was installed).
CUSTODY_GUARD_COLUMNS = ("id", *CUSTODY_HASHED_FIELDS, "prev_hash", "hash")
CUSTODY_GUARD = Guard(table="evidence_custodyevent", immutable=CUSTODY_GUARD_COLUMNS)

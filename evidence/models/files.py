"""The files of evidence items: their bytes stored once by content, and fixity checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.items import EvidenceItem, OfItemQuerySet

if TYPE_CHECKING:
    pass


class StoredBlob(models.Model):
    """The bytes of a file, stored once under their SHA-256 and never modified."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=200)
    storage_name = models.CharField(max_length=300, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_fixity_at = models.DateTimeField(null=True, blank=True)
    last_fixity_ok = models.BooleanField(null=True)

    def __str__(self) -> str:
        return self.sha256

    @property
    def preview_kind(self) -> str | None:
        """How a browser may show the file inline, if at all (never HTML or SVG)."""
        if self.mime_type in ("image/png", "image/jpeg", "image/gif", "image/webp"):
            return "image"
        if self.mime_type.startswith(("audio/", "video/")):
            return self.mime_type.split("/")[0]
        return None


class EvidenceFile(models.Model):
    """A file of an item: the original, or a file derived from another (with the method)."""

    class Role(models.TextChoices):
        ORIGINAL = "original", _("Original")
        WORKING_COPY = "working_copy", _("Working copy")
        TRANSLATION = "translation", _("Translation")
        TRANSCRIPT = "transcript", _("Transcript")
        REDACTED = "redacted", _("Redacted version")

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="files")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    derived_from = models.ForeignKey(
        "self",
        verbose_name=_("derived from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derivatives",
    )
    method = models.CharField(_("method"), max_length=300, blank=True)
    blob = models.ForeignKey(StoredBlob, on_delete=models.PROTECT, related_name="files")
    filename = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # A redacted copy is served to users without the identities only once a case lead who
    # holds them has approved it (evidence.access).
    redaction_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    redaction_approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Seeing a file is seeing its metadata and hashes: its bytes, name and text go through the
    # file-access rule (``evidence.access``) on top of this.
    objects = OfItemQuerySet.as_manager()

    class Meta:
        ordering = ["item", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role="original", derived_from__isnull=True)
                | (~Q(role="original") & Q(derived_from__isnull=False)),
                name="evidence_file_derivation",
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def audit_case_id(self) -> int:
        return self.item.case_id

    @property
    def audit_label(self) -> str:
        return f"{self.item.exhibit} {self.get_role_display()} ({self.blob.sha256[:12]})"


class FixityCheck(models.Model):
    """One re-hash of a stored file, and what it found."""

    blob = models.ForeignKey(StoredBlob, on_delete=models.CASCADE, related_name="fixity_checks")
    checked_at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    computed_sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.blob_id} {'ok' if self.ok else 'FAILED'}"

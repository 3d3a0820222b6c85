"""Evidence items, their files (stored once, by content) and their chain of custody."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Clearance
from cases.models import Case, CasePerson
from custos.append_only import Guard


class EvidenceItem(models.Model):
    """An exhibit of a case (``WCU-2026-0007/E-0042``), physical or digital.

    ``custodian`` and ``status`` follow the custody chain; they are changed only by the
    services that append its events. ``custody_head`` and ``custody_seq`` are the hash and
    position of the last event, so that appending never reads the whole chain.
    """

    class Kind(models.TextChoices):
        PHYSICAL = "physical", _("Physical object")
        DOCUMENT = "document", _("Document")
        PHOTOGRAPH = "photograph", _("Photograph")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")
        STATEMENT = "statement", _("Witness statement")
        OPEN_SOURCE = "open_source", _("Open-source capture")
        REPORT = "report", _("Forensic or expert report")

    class Status(models.TextChoices):
        IN_CUSTODY = "in_custody", _("In custody")
        IN_TRANSIT = "in_transit", _("In transit")
        CHECKED_OUT = "checked_out", _("Checked out")
        RELEASED = "released", _("Released")
        RETURNED = "returned", _("Returned to owner")
        DESTROYED = "destroyed", _("Destroyed")

    class SourceKind(models.TextChoices):
        PERSON = "person", _("A person of the case")
        ORGANISATION = "organisation", _("An organisation")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    number = models.PositiveIntegerField(editable=False)
    exhibit = models.CharField(_("exhibit"), max_length=64, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"))
    collected_at = models.DateTimeField(_("collected on"), null=True, blank=True)
    collected_place = models.CharField(_("collected at (place)"), max_length=300, blank=True)
    collected_by = models.CharField(
        _("collected by"), max_length=300, blank=True, help_text=_("Who collected or seized it.")
    )
    source_kind = models.CharField(
        _("source"), max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER
    )
    source_person = models.ForeignKey(
        CasePerson,
        verbose_name=_("source person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence_provided",
    )
    source_text = models.CharField(
        _("source (organisation or description)"), max_length=300, blank=True
    )
    language = models.CharField(_("language"), max_length=80, blank=True)
    graphic = models.BooleanField(
        _("graphic content"),
        default=False,
        help_text=_("Previews are blurred until the viewer chooses to see them."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.IN_CUSTODY,
        editable=False,
    )
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("custodian"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence_in_custody",
        editable=False,
    )
    storage_location = models.CharField(_("storage location"), max_length=300, blank=True)
    seal_numbers = models.CharField(_("seal numbers"), max_length=300, blank=True)
    # Berkeley Protocol capture metadata (open-source captures).
    capture_url = models.URLField(_("source URL"), max_length=2000, blank=True)
    capture_time = models.DateTimeField(_("captured on"), null=True, blank=True)
    capture_tool = models.CharField(_("capture tool"), max_length=200, blank=True)
    capture_collector = models.CharField(_("collector"), max_length=200, blank=True)
    capture_page_sha256 = models.CharField(
        _("SHA-256 of the captured page"), max_length=64, blank=True
    )
    capture_platform = models.CharField(
        _("platform"), max_length=200, blank=True, help_text=_("e.g. a social network or site.")
    )
    capture_account = models.CharField(
        _("account"), max_length=300, blank=True, help_text=_("Who published it there.")
    )
    capture_published_at = models.DateTimeField(_("published on"), null=True, blank=True)
    # Protected persons this item identifies besides its source person (a statement names
    # them, a photograph shows their face): its files are read only by holders of every one
    # of their identities (evidence.access).
    identifies = models.ManyToManyField(
        CasePerson,
        verbose_name=_("identifies"),
        blank=True,
        related_name="evidence_identifying",
        help_text=_("Protected persons whose identity the item's files reveal."),
    )
    # An item may be classified above its case (never below: the case's level is a floor).
    classification = models.PositiveSmallIntegerField(
        _("classification"), choices=Clearance.choices, default=Clearance.UNCLASSIFIED
    )
    custody_seq = models.PositiveIntegerField(default=0, editable=False)
    custody_head = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="evidence_number_unique"),
        ]
        indexes = [models.Index(fields=["custodian", "status"], name="evidence_custodian_idx")]

    def __str__(self) -> str:
        return self.exhibit

    @property
    def audit_case_id(self) -> int:
        return self.case_id

    @property
    def audit_label(self) -> str:
        return self.exhibit


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
# ``values_list``). The last five are covered only when set (``custody.canonical_bytes``).
CUSTODY_HASHED_FIELDS = (
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
    "file_id",
    "file_sha256",
    "file_role",
    "file_name",
    "late_reason",
)

# Every column of an event, none of which may ever change (the frozen copies in the
# migrations are the rule as it was installed).
CUSTODY_GUARD_COLUMNS = ("id", *CUSTODY_HASHED_FIELDS, "prev_hash", "hash")
CUSTODY_GUARD = Guard(table="evidence_custodyevent", immutable=CUSTODY_GUARD_COLUMNS)


# --- The proof matrix: allegations and the evidence linked to their elements -----------------


class Allegation(models.Model):
    """What a case alleges against one suspect: a crime of the Elements of Crimes, how the
    suspect is said to be responsible for it (modes of liability) and the incidents it covers.

    The matrix of an allegation has one row per element of its crime and one per mode; evidence
    is linked to those rows (:class:`EvidenceLink`). The suspect, incidents and crime must be of
    the allegation's case (checked by the services in ``evidence/proof.py``).
    """

    class Status(models.TextChoices):
        UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
        SUBSTANTIATED = "substantiated", _("Substantiated")
        DROPPED = "dropped", _("Dropped")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="allegations")
    suspect = models.ForeignKey(
        CasePerson,
        verbose_name=_("suspect"),
        on_delete=models.PROTECT,
        related_name="allegations",
    )
    crime = models.ForeignKey(
        "cases.Crime", verbose_name=_("crime"), on_delete=models.PROTECT, related_name="allegations"
    )
    modes = models.ManyToManyField(
        "cases.ModeOfLiability",
        verbose_name=_("modes of liability"),
        related_name="allegations",
        # Arts. 25(3) and 28 only: art. 30 (the mental element) is part of every crime.
        limit_choices_to=~Q(article="30"),
    )
    incidents = models.ManyToManyField(
        "cases.Incident", verbose_name=_("incidents"), blank=True, related_name="allegations"
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.UNDER_INVESTIGATION
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("allegation")
        verbose_name_plural = _("allegations")
        ordering = ["case", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["under_investigation", "substantiated", "dropped"]),
                name="allegation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"allegation #{self.pk}"  # never the suspect's name: str() reaches logs

    @property
    def audit_case_id(self) -> int:
        return self.case_id

    @property
    def audit_label(self) -> str:
        return f"allegation #{self.pk}"


class EvidenceLink(models.Model):
    """One version of the link between an evidence item (or a precise part of it) and one row
    of an allegation's matrix: an element of its crime (``element_index``, 0-based into
    ``crime.elements``) or one of its modes of liability (``mode``), never both.

    Links are never edited: a change is a new row (``version`` + 1, ``supersedes`` the row
    before, ``origin`` the first version) written with who and why, and the row before stops
    being current. A withdrawal is a last version marked ``withdrawn`` that is not current
    either. Only ``is_current`` may ever change, from true to false (a database trigger, see
    migration ``0003_proof_matrix``).
    """

    class Assessment(models.TextChoices):
        STRONG = "strong", _("Strong")
        MODERATE = "moderate", _("Moderate")
        WEAK = "weak", _("Weak")
        CONTRADICTING = "contradicting", _("Contradicting (exculpatory)")

    allegation = models.ForeignKey(Allegation, on_delete=models.CASCADE, related_name="links")
    item = models.ForeignKey(
        EvidenceItem,
        verbose_name=_("evidence item"),
        on_delete=models.PROTECT,
        related_name="proof_links",
    )
    element_index = models.PositiveSmallIntegerField(_("element"), null=True, blank=True)
    mode = models.ForeignKey(
        "cases.ModeOfLiability",
        verbose_name=_("mode of liability"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    locator = models.CharField(
        _("where in the item"),
        max_length=200,
        blank=True,
        help_text=_("A page, a timestamp or a paragraph; empty for the whole item."),
    )
    relevance = models.TextField(_("relevance"), blank=True)
    assessment = models.CharField(_("assessment"), max_length=16, choices=Assessment.choices)
    version = models.PositiveIntegerField(default=1, editable=False)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    origin = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="later_versions",
        editable=False,
    )
    is_current = models.BooleanField(default=True, editable=False)
    withdrawn = models.BooleanField(default=False, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    changed_at = models.DateTimeField(default=timezone.now, editable=False)
    reason = models.TextField(_("reason for the change"), blank=True)

    class Meta:
        verbose_name = _("evidence link")
        verbose_name_plural = _("evidence links")
        ordering = ["allegation", "element_index", "mode", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(element_index__isnull=False, mode__isnull=True)
                | Q(element_index__isnull=True, mode__isnull=False),
                name="evidence_link_one_target",
            ),
            models.CheckConstraint(
                condition=Q(assessment__in=["strong", "moderate", "weak", "contradicting"]),
                name="evidence_link_assessment_valid",
            ),
            models.CheckConstraint(
                condition=Q(version=1, supersedes__isnull=True, origin__isnull=True)
                | Q(version__gt=1, supersedes__isnull=False, origin__isnull=False),
                name="evidence_link_version_chain",
            ),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(reason=""), name="evidence_link_change_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn=False) | Q(is_current=False),
                name="evidence_link_withdrawn_not_current",
            ),
            # A version is superseded at most once: the history of a link never forks.
            models.UniqueConstraint(fields=["supersedes"], name="evidence_link_superseded_once"),
            models.UniqueConstraint(
                fields=["origin", "version"], name="evidence_link_version_unique"
            ),
            # No two current links of the same item to the same row at the same place. Two
            # constraints, because NULLs (the other kind of target) never collide.
            models.UniqueConstraint(
                fields=["allegation", "item", "element_index", "locator"],
                condition=Q(is_current=True, mode__isnull=True),
                name="evidence_link_current_element_unique",
            ),
            models.UniqueConstraint(
                fields=["allegation", "item", "mode", "locator"],
                condition=Q(is_current=True, element_index__isnull=True),
                name="evidence_link_current_mode_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["allegation", "is_current"], name="evidence_link_current_idx"),
            models.Index(fields=["item", "is_current"], name="evidence_link_item_idx"),
        ]

    def __str__(self) -> str:
        return f"link #{self.pk} v{self.version}"

    @property
    def first_version_id(self) -> int:
        return self.origin_id or self.pk

    @property
    def element_number(self) -> int | None:
        """The element's number as the Elements of Crimes print it (1-based)."""
        return None if self.element_index is None else self.element_index + 1

    @property
    def audit_case_id(self) -> int:
        return self.item.case_id

    @property
    def audit_label(self) -> str:
        return f"{self.item.exhibit} → allegation #{self.allegation_id} v{self.version}"

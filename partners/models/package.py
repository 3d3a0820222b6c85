"""Case packages: what a tribunal receives from the unit.

A package is requested (by a tribunal liaison for a case shared with their organisation, or
by the case lead), decided by the case lead, rendered to a signed PDF by workers on the
``reports`` queue, downloaded while it has not expired, and can be revoked at any time.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Clearance
from accounts.roles import STAFF_ROLES
from cases.models import Case, CasePerson
from evidence.models import Allegation, EvidenceItem
from partners.models.organisation import PartnerOrganisation
from partners.models.sharing import CaseShare, liaison_organisation_ids

if TYPE_CHECKING:
    from accounts.models import User


class PackageQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> PackageQuerySet:
        """The packages ``user`` may see: for the unit's staff, the packages of the cases they
        may see (need-to-know, ``Case.objects.visible_to``); for a tribunal liaison, those
        addressed to their organisation while the case is shared with it at the "package
        requests" level; none for anyone else. Seeing a package is not downloading it
        (``partners.packages.selectors.package_download_right``)."""
        if not user.is_authenticated:
            return self.none()
        if user.has_role(*STAFF_ROLES):
            return self.filter(case__in=Case.objects.visible_to(user).values("pk"))
        organisation = liaison_organisation_ids(user)
        shared = CaseShare.objects.for_packages().filter(organisation_id__in=organisation)
        return self.filter(organisation_id__in=organisation, case__in=shared.values("case"))

    def downloadable(self) -> PackageQuerySet:
        """Rendered, not revoked and not expired at this moment (computed, not left to beat)."""
        return self.filter(
            status__in=[Package.Status.READY, Package.Status.DOWNLOADED],
            expires_at__gt=timezone.now(),
        )


class Package(models.Model):
    """One request for a case package, and the PDF it yields (at most one per request)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        FAILED = "failed", _("Failed")
        READY = "ready", _("Ready")
        DOWNLOADED = "downloaded", _("Downloaded")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    class Purpose(models.TextChoices):
        ASSISTANCE = "assistance", _("Request for assistance")
        DISCLOSURE = "disclosure", _("Disclosure")
        WARRANT = "warrant", _("Warrant application")
        CHARGES = "charges", _("Confirmation of charges")
        TRIAL = "trial", _("Trial proceedings")
        OTHER = "other", _("Other")

    class Section(models.TextChoices):
        SUMMARY = "summary", _("Case summary")
        CHRONOLOGY = "chronology", _("Chronology of incidents")
        ALLEGATIONS = "allegations", _("Allegations and proof matrix")
        PERSONS = "persons", _("Persons")
        EVIDENCE = "evidence", _("Evidence register")
        CUSTODY = "custody", _("Chain of custody")
        INTEGRITY = "integrity", _("Integrity statement and hash manifest")

    # Statuses from which nothing more happens to the request.
    FINAL = (Status.REJECTED, Status.EXPIRED, Status.REVOKED)
    # Statuses a revocation can still stop.
    REVOCABLE = (
        Status.REQUESTED,
        Status.APPROVED,
        Status.QUEUED,
        Status.RENDERING,
        Status.FAILED,
        Status.READY,
        Status.DOWNLOADED,
    )

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="packages")
    organisation = models.ForeignKey(
        PartnerOrganisation,
        on_delete=models.PROTECT,
        related_name="packages",
        null=True,
        blank=True,
        verbose_name=_("recipient organisation"),
    )
    recipient = models.CharField(
        _("recipient"),
        max_length=300,
        help_text=_("Who the package is for, as printed on it and in its watermark."),
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    purpose_detail = models.TextField(_("details of the request"), blank=True)
    sections = models.JSONField(_("sections"), default=list)
    all_evidence = models.BooleanField(_("all evidence items"), default=True)
    evidence_items = models.ManyToManyField(
        EvidenceItem, blank=True, related_name="+", verbose_name=_("evidence items")
    )
    all_allegations = models.BooleanField(_("all allegations"), default=True)
    allegations = models.ManyToManyField(
        Allegation, blank=True, related_name="+", verbose_name=_("allegations")
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    deadline = models.DateField(_("needed by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    # Rendering: claimed by a worker with a conditional update.
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set once, by the worker finishing the last part: the merge is queued exactly once.
    assembling = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    # The signed PDF: written once, under a name nobody can guess.
    pdf = models.FileField(upload_to="packages/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    rendered_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    revoke_reason = models.TextField(_("reason for revocation"), blank=True)
    # Chosen at approval: the liaisons who may download the package (nobody else of their
    # organisation, nor a liaison invited later).
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="packages_received",
        verbose_name=_("named recipients"),
    )
    # The highest classification of the package's content (the case's, or an item's above
    # it), set at approval; above a recipient's clearance only with a recorded declassification.
    classification = models.PositiveSmallIntegerField(_("classification"), default=0)
    declassified_to = models.PositiveSmallIntegerField(_("declassified to"), null=True, blank=True)
    declassification_reason = models.TextField(_("reason for the declassification"), blank=True)
    # What the PDF prints, recorded when rendering starts: the case persons it names (not
    # protected then, or disclosed) and the items whose file names it prints. A person
    # protected, or an item marked identifying, after that is still in the PDF: the download
    # rule compares these with the protection of today (partners.packages.selectors).
    printed_persons = models.JSONField(null=True, blank=True, editable=False)
    printed_file_items = models.JSONField(null=True, blank=True, editable=False)

    objects = PackageQuerySet.as_manager()

    class Meta:
        verbose_name = _("case package")
        verbose_name_plural = _("case packages")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                name="package_ready_has_hash",
                condition=~Q(status__in=["ready", "downloaded"]) | ~Q(sha256=""),
            ),
            models.CheckConstraint(
                name="package_decision_has_decider",
                condition=Q(status="requested") | Q(decided_by__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="package_status_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"PKG-{self.pk:06d}" if self.pk else "PKG-?"

    @property
    def audit_case_id(self) -> int:
        return self.case_id

    @property
    def audit_label(self) -> str:
        return self.reference

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status in (self.Status.READY, self.Status.DOWNLOADED)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

    @property
    def content_classification(self) -> int:
        """The highest classification of what the package holds: computed at approval (the
        case's or an included item's above it); the case's until then."""
        return max(self.classification, self.case.classification)

    @property
    def effective_classification(self) -> int:
        """The level the PDF is marked and released at: the level a recorded declassification
        lowered it to, or its content's."""
        if self.declassified_to is not None:
            return self.declassified_to
        return self.content_classification

    @property
    def content_classification_label(self) -> str:
        return str(Clearance(self.content_classification).label)

    @property
    def effective_classification_label(self) -> str:
        return str(Clearance(self.effective_classification).label)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.QUEUED, self.Status.RENDERING)

    def section_labels(self) -> list[str]:
        labels = dict(self.Section.choices)
        return [str(labels[key]) for key in self.sections if key in labels]


class PackageDisclosure(models.Model):
    """A protected person whose identity the approver chose to include, and why."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="disclosures")
    case_person = models.ForeignKey(CasePerson, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(_("justification"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["package", "case_person"], name="package_disclosure_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.package} / {self.case_person_id}"


class PackageSection(models.Model):
    """One part of a package rendered on its own (possibly by another worker), merged later.

    ``part`` is a chunk of a long section (evidence items 0-199, 200-399, ...): each part
    renders to its own PDF whose page count and headings the merge step uses for the page
    numbers, the table of contents and the outline.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RENDERING = "rendering", _("Rendering")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    key = models.CharField(max_length=32)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    # [[level, label, page index within this part], ...]
    bookmarks = models.JSONField(default=list)
    # The part's PDF in the default storage (workers may run on other machines).
    storage_name = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["package", "index"]
        constraints = [
            models.UniqueConstraint(fields=["package", "index"], name="package_section_unique")
        ]

    def __str__(self) -> str:
        return f"{self.package} #{self.index} {self.key}"

"""Evidence items: the exhibits of a case, and which of them a user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Clearance
from cases.models import Case, CasePerson

if TYPE_CHECKING:
    from accounts.models import User

M = TypeVar("M", bound=models.Model)


class EvidenceItemQuerySet(models.QuerySet["EvidenceItem"]):
    def cleared_for(self, user: User) -> EvidenceItemQuerySet:
        """Items classified no higher than ``user``'s clearance (an item may be classified
        above its case, whose level is the floor): the item's own rule, on top of its case's."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(classification__lte=user.clearance)

    def visible_to(self, user: User) -> EvidenceItemQuerySet:
        """Items ``user`` may see: of the cases they may see (``Case.objects.visible_to``) and
        cleared for them. Seeing an item is not reading its files (``evidence.access``)."""
        return self.filter(case__in=Case.objects.visible_to(user).values("pk")).cleared_for(user)


class OfItemQuerySet(models.QuerySet[M]):
    """Rows of an item (its files, custody events, hand-overs): ``visible_to`` is the item's."""

    def visible_to(self, user: User) -> Self:
        """What belongs to the items ``user`` may see (``EvidenceItem.objects.visible_to``)."""
        return self.filter(item__in=EvidenceItem.objects.visible_to(user).values("pk"))


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

    objects = EvidenceItemQuerySet.as_manager()

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

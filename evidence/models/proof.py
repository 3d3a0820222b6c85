"""The proof matrix: allegations and the evidence linked to their elements."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CasePerson
from evidence.models.items import EvidenceItem

if TYPE_CHECKING:
    from accounts.models import User


class AllegationQuerySet(models.QuerySet["Allegation"]):
    def visible_to(self, user: User) -> AllegationQuerySet:
        """Allegations of the cases ``user`` may see."""
        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))


class EvidenceLinkQuerySet(models.QuerySet["EvidenceLink"]):
    def visible_to(self, user: User) -> EvidenceLinkQuerySet:
        """Links of the cases ``user`` may see, to items they are cleared for (an item may be
        classified above its case)."""
        return self.filter(
            allegation__case__in=Case.objects.visible_to(user).values("pk"),
            item__in=EvidenceItem.objects.cleared_for(user).values("pk"),
        )


class Allegation(models.Model):
    """What a case alleges against one suspect: a crime of the Elements of Crimes, how the
    suspect is said to be responsible for it (modes of liability) and the incidents it covers.

    The matrix of an allegation has one row per element of its crime and one per mode; evidence
    is linked to those rows (:class:`EvidenceLink`). The suspect, incidents and crime must be of
    the allegation's case (checked by the services in ``evidence/proof/services.py``).
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

    objects = AllegationQuerySet.as_manager()

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

    objects = EvidenceLinkQuerySet.as_manager()

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

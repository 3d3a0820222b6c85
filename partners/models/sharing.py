"""Sharing a case with a partner under a legal basis."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import STAFF_ROLES, Role
from cases.models import Case
from partners.models.organisation import Agreement, PartnerMembership, PartnerOrganisation

if TYPE_CHECKING:
    from accounts.models import User


def liaison_organisation_ids(user: User) -> QuerySet[PartnerMembership, Any]:
    """The organisation of a tribunal liaison, as a subquery (none for anyone else)."""
    if not user.is_authenticated or not user.has_role(Role.TRIBUNAL_LIAISON):
        return PartnerMembership.objects.none().values("organisation_id")
    return PartnerMembership.objects.filter(user=user).values("organisation_id")


class CaseShareQuerySet(models.QuerySet):
    def active_on(self, day: date) -> CaseShareQuerySet:
        """Shares in force on ``day``: not revoked, not expired, under an agreement in force,
        with an active partner. Computed in the query, so an expiry needs no job to run."""
        return self.filter(
            Q(agreement__valid_until__isnull=True) | Q(agreement__valid_until__gte=day),
            revoked_at__isnull=True,
            expires_on__gte=day,
            agreement__valid_from__lte=day,
            organisation__status=PartnerOrganisation.Status.ACTIVE,
        )

    def active(self) -> CaseShareQuerySet:
        return self.active_on(timezone.localdate())

    def for_packages(self) -> CaseShareQuerySet:
        """Shares in force that allow package requests."""
        return self.active().filter(level=CaseShare.Level.PACKAGES)

    def visible_to(self, user: User) -> CaseShareQuerySet:
        """The shares ``user`` may read: for the unit's staff, the shares of the cases they
        may see (need-to-know, ``Case.objects.visible_to``); for a tribunal liaison, their
        organisation's shares in force; none for anyone else."""
        if not user.is_authenticated:
            return self.none()
        if user.has_role(*STAFF_ROLES):
            return self.filter(case__in=Case.objects.visible_to(user).values("pk"))
        return self.active().filter(organisation_id__in=liaison_organisation_ids(user))


class CaseShare(models.Model):
    """A case shared with a partner organisation: metadata only, or package requests allowed."""

    class Level(models.TextChoices):
        METADATA = "metadata", _("Metadata only")
        PACKAGES = "packages", _("Metadata and package requests")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="shares")
    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="shares"
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("legal basis"), on_delete=models.PROTECT, related_name="shares"
    )
    legal_basis_note = models.TextField(
        _("legal basis"), help_text=_("The provision or request the sharing rests on.")
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    expires_on = models.DateField(_("expires on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = CaseShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "expires_on"], name="share_org_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.organisation_id}"

    @property
    def audit_case_id(self) -> int:
        return self.case_id

    @property
    def audit_label(self) -> str:
        return f"{self.case.reference} → {self.organisation.acronym or self.organisation.name}"

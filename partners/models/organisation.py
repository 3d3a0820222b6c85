"""Partner organisations, their people, their agreements with the unit, and liaison accounts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.roles import STAFF_ROLES

if TYPE_CHECKING:
    from accounts.models import User


def sees_directory(user: User) -> bool:
    """The partner directory (organisations, contacts, agreements) is the unit's staff's: a
    liaison never reads another partner's business."""
    return user.is_authenticated and user.has_role(*STAFF_ROLES)


class PartnerOrganisationQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> PartnerOrganisationQuerySet:
        return self if sees_directory(user) else self.none()


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ContactQuerySet:
        return self if sees_directory(user) else self.none()


class Network(models.Model):
    """A network partners belong to (e.g. the EU Network of Contact Points for genocide,
    crimes against humanity and war crimes)."""

    name = models.CharField(_("name"), max_length=300, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerOrganisation(models.Model):
    class Kind(models.TextChoices):
        TRIBUNAL = "tribunal", _("International tribunal or UN mechanism")
        NATIONAL_UNIT = "national_unit", _("National war crimes unit")
        PROSECUTION = "prosecution", _("Prosecution service")
        JUSTICE = "justice", _("Justice institution")
        INTERNATIONAL_ORGANISATION = "international_organisation", _("International organisation")
        CONTACT_POINT = "contact_point", _("Network contact point")
        NGO = "ngo", _("NGO or civil society")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=300, unique=True)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    country = CountryField(_("country"), blank=True)
    address = models.TextField(_("address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    languages = models.CharField(
        _("working languages"), max_length=200, blank=True, help_text=_("e.g. English, French")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    networks = models.ManyToManyField(Network, verbose_name=_("networks"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartnerOrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class Contact(models.Model):
    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    function = models.CharField(_("function"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    languages = models.CharField(_("languages"), max_length=200, blank=True)
    is_contact_point = models.BooleanField(_("contact point"), default=False)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-is_contact_point", "name"]

    def __str__(self) -> str:
        return self.name


class AgreementQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> AgreementQuerySet:
        return self if sees_directory(user) else self.none()

    def active_on(self, day: date) -> AgreementQuerySet:
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
            valid_from__lte=day,
            organisation__status=PartnerOrganisation.Status.ACTIVE,
        )


class Agreement(models.Model):
    """The legal basis of cooperation with a partner: an agreement or memorandum."""

    class Kind(models.TextChoices):
        COOPERATION = "cooperation", _("Cooperation agreement")
        MOU = "mou", _("Memorandum of understanding")
        EXCHANGE_OF_LETTERS = "letters", _("Exchange of letters")
        OTHER = "other", _("Other legal basis")

    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="agreements"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    signed_on = models.DateField(_("signed on"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    scope = models.TextField(_("scope"), blank=True)
    document = models.FileField(
        _("signed document"), upload_to="agreements/%Y/", blank=True, max_length=300
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="agreement_validity_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_active(self, day: date | None = None) -> bool:
        day = day or timezone.localdate()
        return (
            self.valid_from <= day
            and (self.valid_until is None or self.valid_until >= day)
            and self.organisation.status == PartnerOrganisation.Status.ACTIVE
        )


class PartnerMembership(models.Model):
    """A liaison account belongs to exactly one partner organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_membership"
    )
    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="members"
    )

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class Invitation(models.Model):
    """A single-use, expiring invitation for a liaison. Only the token's hash is stored."""

    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    full_name = models.CharField(_("full name"), max_length=200)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the invitation e-mail."),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation #{self.pk}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()

"""The registry of persons, their role in each case, and protective measures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.models.case import Case, OfCaseQuerySet

if TYPE_CHECKING:
    from accounts.models import User


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> Self:
        """Registry persons ``user`` knows by name: linked to a case they may read, and, when
        protected in any case (protection follows the person), only if they hold the
        person's identity in a case they may read. Nobody else learns that the person
        exists outside the cases they read, where a protected person is a pseudonym."""
        visible_cases = Case.objects.visible_to(user).values("pk")
        known = CasePerson.objects.filter(case__in=visible_cases).values("person_id")
        granted = CasePersonUserObjectPermission.objects.filter(
            user=user, permission__codename="view_identity", content_object__case__in=visible_cases
        ).values("content_object__person_id")
        protected = CasePerson.objects.filter(protected=True).values("person_id")
        return self.filter(pk__in=known).filter(~Q(pk__in=protected) | Q(pk__in=granted))


class OfPersonQuerySet(models.QuerySet):
    """Rows of a registry person (their names): ``visible_to`` is the person's."""

    def visible_to(self, user: User) -> Self:
        return self.filter(person__in=Person.objects.visible_to(user).values("pk"))


class OfCasePersonQuerySet(OfCaseQuerySet):
    """Rows of a person in a case (identity grants, protective measures): ``visible_to`` is
    the case's. Whether the identity itself is shown is the protection rule's
    (``cases.selectors.person_rows``)."""

    case_path = "case_person__case"


class Person(models.Model):
    """A person, once, across all cases (suspect in one case, witness in another).

    Never shown directly: pages show a person through their role in a case
    (:class:`CasePerson`), which decides whether the name or a pseudonym is seen.
    """

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Unknown")

    full_name = models.CharField(_("full name"), max_length=300)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNKNOWN
    )
    nationality = CountryField(_("nationality"), multiple=True, blank=True, max_length=1000)
    affiliation = models.CharField(
        _("affiliation"),
        max_length=300,
        blank=True,
        help_text=_("Armed force, group or organisation."),
    )
    unit = models.CharField(_("unit"), max_length=300, blank=True)
    rank = models.CharField(_("rank or position"), max_length=200, blank=True)
    # The case whose team recorded the person: only its contributors change the shared
    # fields above; other cases that link the person keep their own role and notes.
    home_case = models.ForeignKey(
        Case,
        verbose_name=_("home case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return f"person #{self.pk}"  # never the name: str() ends up in logs and audit rows


class PersonName(models.Model):
    """Another name of a person: an alias, a transliteration, a name at birth."""

    class Kind(models.TextChoices):
        ALIAS = "alias", _("Alias or nickname")
        TRANSLITERATION = "transliteration", _("Transliteration")
        BIRTH = "birth", _("Name at birth")
        OTHER = "other", _("Other name")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ALIAS)
    script = models.CharField(
        _("script or language"), max_length=50, blank=True, help_text=_("e.g. Arabic, Cyrillic")
    )

    objects = OfPersonQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"name #{self.pk}"


class CasePerson(models.Model):
    """A person's role in one case, and their protection there.

    A protected person has a per-case ``pseudonym`` (``W-0003``); only users granted the
    ``view_identity`` permission on this row (guardian, per object) see who they are.
    """

    class Role(models.TextChoices):
        SUSPECT = "suspect", _("Suspect")
        VICTIM = "victim", _("Victim")
        WITNESS = "witness", _("Witness")
        VICTIM_WITNESS = "victim_witness", _("Victim-witness")
        INSIDER_WITNESS = "insider_witness", _("Insider witness")
        EXPERT = "expert", _("Expert")
        SOURCE = "source", _("Source")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="persons")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="case_roles")
    role = models.CharField(_("role in the case"), max_length=20, choices=Role.choices)
    protected = models.BooleanField(_("protected"), default=False, editable=False)
    pseudonym = models.CharField(_("pseudonym"), max_length=20, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = OfCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("person in a case")
        verbose_name_plural = _("persons in a case")
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="case_person_unique"),
            models.UniqueConstraint(
                fields=["case", "pseudonym"],
                condition=~Q(pseudonym=""),
                name="case_pseudonym_unique",
            ),
            models.CheckConstraint(
                condition=Q(protected=False) | ~Q(pseudonym=""),
                name="protected_person_has_pseudonym",
            ),
        ]
        permissions = [("view_identity", _("See the identity of a protected person"))]

    def __str__(self) -> str:
        return self.pseudonym or f"case person #{self.pk}"

    @property
    def audit_case_id(self) -> int:
        return self.case_id

    @property
    def audit_label(self) -> str:
        return self.pseudonym or f"{self.role} #{self.pk}"


class CasePersonUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CasePerson, on_delete=models.CASCADE)


class CasePersonGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(CasePerson, on_delete=models.CASCADE)


class IdentityGrant(models.Model):
    """Who may see a protected person's identity in one case, and who decided it.

    Written by ``cases.services`` next to guardian's ``view_identity`` row (which is what
    reads check); a revoked grant keeps its row, with who revoked it and when. Nobody grants
    an identity to themselves: a ``decision`` names another user. The other kinds record a
    user keeping what they already know: the ``protector`` who put the person under
    protection, and a member who holds the identity in another case when protection
    ``follows`` the person into this one.
    """

    class Kind(models.TextChoices):
        DECISION = "decision", _("Granted by a case lead")
        PROTECTOR = "protector", _("Protected the person")
        FOLLOWS = "follows", _("Held in another case")
        LEGACY = "legacy", _("Granted before grants named who decided")

    case_person = models.ForeignKey(
        CasePerson, on_delete=models.CASCADE, related_name="identity_grants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted on"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)

    objects = OfCasePersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("identity grant")
        verbose_name_plural = _("identity grants")
        ordering = ["granted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_person", "user"],
                condition=Q(revoked_at__isnull=True),
                name="identity_grant_one_live",
            ),
            models.CheckConstraint(
                condition=~Q(kind="decision") | ~Q(user=F("granted_by")),
                name="identity_grant_not_to_oneself",
            ),
        ]

    def __str__(self) -> str:
        return f"identity grant #{self.pk}"

    @property
    def audit_case_id(self) -> int:
        return self.case_person.case_id


class ProtectiveMeasure(models.Model):
    """A measure protecting a person in a case (ordered or requested), with why and by whom."""

    class Kind(models.TextChoices):
        IDENTITY_NON_DISCLOSURE = "identity_non_disclosure", _("Identity non-disclosure")
        FACE_DISTORTION = "face_distortion", _("Face distortion")
        VOICE_DISTORTION = "voice_distortion", _("Voice distortion")
        CLOSED_SESSION = "closed_session", _("Closed session")
        RELOCATION = "relocation", _("Relocation")

    case_person = models.ForeignKey(CasePerson, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("measure"), max_length=32, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = OfCasePersonQuerySet.as_manager()

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["case_person", "kind"], name="measure_unique")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

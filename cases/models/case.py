"""Cases, their team, status history, notes and break-glass access."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import F, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Clearance
from cases.models.crime import Crime

if TYPE_CHECKING:
    from accounts.models import User


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> CaseQuerySet:
        """Cases ``user`` may read: a team member (or holder of a live break-glass access)
        who is cleared for the case's classification. Nothing else, for anyone: neither a
        global permission nor the superuser flag widens it.

        Membership is guardian's per-user ``view_case`` object permission, read from its
        per-case table (what ``get_objects_for_user(use_groups=False, with_superuser=False,
        accept_global_perms=False)`` reads). The query is shaped for PostgreSQL's planner
        (measured by ``bench/latency.py`` over 100,000 cases, see docs/benchmarks.md): one
        ``IN`` over the user's permission rows, with the permission's id as a scalar subquery
        so that the row estimate comes from the statistics of ``user_id``. The planner then
        walks 200 ids into the cases, or merges 20,000 with the covering index
        ``case_visible_covering_idx``, or starts from the search index, whichever is cheaper.
        Break-glass accesses are few and short-lived: their case ids are read first (one
        small query) and added only when there are any, because an ``OR`` of two ``IN``
        subqueries would make the planner test every case of the unit against both.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        view_case = Permission.objects.filter(
            codename="view_case", content_type__app_label="cases", content_type__model="case"
        ).values("pk")[:1]
        members = CaseUserObjectPermission.objects.filter(
            user=user, permission_id=Subquery(view_case)
        ).values("content_object_id")
        visible = Q(pk__in=members)
        glass = list(
            BreakGlassAccess.objects.filter(user=user, expires_at__gt=timezone.now()).values_list(
                "case_id", flat=True
            )
        )
        if glass:
            visible |= Q(pk__in=glass)
        return self.filter(visible, classification__lte=user.clearance)


class OfCaseQuerySet(models.QuerySet):
    """Rows that belong to one case (``case_path`` leads from a row to it): ``visible_to`` is
    the case's, so a row is seen by exactly those who may read its case."""

    case_path = "case"

    def visible_to(self, user: User) -> Self:
        """Rows of the cases ``user`` may read (``Case.objects.visible_to``)."""
        return self.filter(**{f"{self.case_path}__in": Case.objects.visible_to(user).values("pk")})


class OfNoteQuerySet(OfCaseQuerySet):
    """Revisions of a case note: ``visible_to`` is the note's case's."""

    case_path = "note__case"


class Case(models.Model):
    """An investigation: the unit of need-to-know.

    ``reference`` (``WCU-2026-0007``) is numbered gap-free per year by ``case_create``.
    ``search_document`` is what full-text search reads: title, summary, incidents and the
    pseudonyms of protected persons. It never holds a person's name. The ``alleges_*`` flags
    say which categories of crime are alleged on the case or any of its incidents, so that the
    case list filters on a column of the case (see ``crime_category_flag``). ``cases.services``
    keeps both up to date.
    """

    class Status(models.TextChoices):
        INTAKE = "intake", _("Intake")
        PRELIMINARY = "preliminary_assessment", _("Preliminary assessment")
        ACTIVE = "active_investigation", _("Active investigation")
        SUSPENDED = "suspended", _("Suspended")
        REFERRED = "referred", _("Referred")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    situation = models.CharField(
        _("situation or conflict"),
        max_length=300,
        blank=True,
        help_text=_("The situation or armed conflict the case belongs to."),
    )
    countries = CountryField(_("countries concerned"), multiple=True, blank=True, max_length=1000)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period until"), null=True, blank=True)
    classification = models.PositiveSmallIntegerField(
        _("classification"), choices=Clearance.choices, default=Clearance.RESTRICTED
    )
    sgbv = models.BooleanField(
        _("sexual and gender-based violence"),
        default=False,
        help_text=_("The case concerns sexual or gender-based violence."),
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    referral_source = models.CharField(_("referral source"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.INTAKE, editable=False
    )
    crimes = models.ManyToManyField(
        "cases.Crime", verbose_name=_("crimes alleged"), blank=True, related_name="cases"
    )
    search_document = models.TextField(blank=True, editable=False)
    alleges_genocide = models.BooleanField(default=False, editable=False)
    alleges_crimes_against_humanity = models.BooleanField(default=False, editable=False)
    alleges_war_crimes = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="case_year_number_unique"),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=F("period_start")),
                name="case_period_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "classification"], name="case_status_idx"),
            # The case list joins a user's visible ids (guardian's table) to the cases, then
            # filters and sorts them: with these columns in the index that needs no table row
            # until the 25 of the page (an index-only scan; see docs/benchmarks.md).
            models.Index(
                fields=["id"],
                include=[
                    "classification",
                    "status",
                    "created_at",
                    "alleges_genocide",
                    "alleges_crimes_against_humanity",
                    "alleges_war_crimes",
                ],
                name="case_visible_covering_idx",
            ),
            # The case list's default order (newest first): for a user on many cases the
            # database walks this index and checks membership case by case, stopping at 25.
            models.Index(fields=["-created_at", "-id"], name="case_newest_first_idx"),
        ]
        permissions = [
            ("contribute_to_case", _("Add and edit incidents, persons and notes")),
            ("change_case_status", _("Move the case through its workflow")),
            ("manage_case_team", _("Add and remove team members")),
            ("grant_identity", _("Grant access to protected identities")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @staticmethod
    def crime_category_flag(category: str) -> str:
        """The name of the flag saying the case alleges a crime of ``category``."""
        return f"alleges_{Crime.Category(category).value}"

    @property
    def crime_categories(self) -> list[Crime.Category]:
        """The categories of crime alleged on the case or its incidents, in statute order."""
        return [c for c in Crime.Category if getattr(self, self.crime_category_flag(c))]

    @property
    def is_frozen(self) -> bool:
        """A closed or archived case takes no new or changed content until a lead reopens it
        (``cases.frozen.case_require_open`` is the rule the services apply)."""
        return self.status in (self.Status.CLOSED, self.Status.ARCHIVED)

    @property
    def audit_case_id(self) -> int:
        return self.pk

    @property
    def audit_label(self) -> str:
        return self.reference


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Guardian's per-user permissions on cases, with a direct foreign key (fast joins)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseMember(models.Model):
    """A user on a case team, with their role in it (their permissions follow the role)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Case lead")
        INVESTIGATOR = "investigator", _("Investigator")
        ANALYST = "analyst", _("Analyst (read-only)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    objects = OfCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="case_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def audit_case_id(self) -> int:
        return self.case_id

    @property
    def audit_label(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


class CaseReferenceCounter(models.Model):
    """The last case number used in a year; locked while a case is created (gap-free)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


# The reason recorded for a case's first step, kept in the source language and translated
# when shown (a stored translation would stay in the language of whoever opened the case).
CASE_OPENED = gettext_noop("Case opened")


class StatusChange(models.Model):
    """One step of a case through its workflow: who, when, why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=32, choices=Case.Status.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=Case.Status.choices)
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OfCaseQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    @property
    def reason_display(self) -> str:
        """The reason in the reader's language where Custos wrote it (the opening step), as
        the user typed it otherwise."""
        return gettext(CASE_OPENED) if not self.from_status else self.reason


class CaseNote(models.Model):
    """A note on a case. Edits never overwrite: each version is kept as a revision."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OfCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def audit_case_id(self) -> int:
        return self.case_id

    @property
    def audit_label(self) -> str:
        return f"note #{self.pk} v{self.version}"


class CaseNoteRevision(models.Model):
    """A version of a note as it was written, by whom and when."""

    note = models.ForeignKey(CaseNote, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(default=timezone.now)

    objects = OfNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["note", "version"], name="note_revision_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class BreakGlassAccess(models.Model):
    """A unit admin's time-limited, justified, audited access to a case they are not on."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(_("justification"))
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    objects = OfCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "expires_at"], name="break_glass_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="break_glass_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.case_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def audit_case_id(self) -> int:
        return self.case_id

"""Meetings with partners (expert, network and operational meetings) and their follow-up."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import STAFF_ROLES, Role
from partners.models.organisation import Contact, PartnerOrganisation

if TYPE_CHECKING:
    from accounts.models import User


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> MeetingQuerySet:
        """The meetings ``user`` may read: every meeting for the unit's staff, those they
        take part in for a tribunal liaison, none for anyone else."""
        if not user.is_authenticated:
            return self.none()
        if user.has_role(*STAFF_ROLES):
            return self
        if user.has_role(Role.TRIBUNAL_LIAISON):
            return self.filter(participant_users=user)
        return self.none()


class Meeting(models.Model):
    """A meeting of the unit with partners: who organised it, who took part, its agenda and
    minutes. ``organiser`` is empty when the unit itself organised the meeting."""

    class Kind(models.TextChoices):
        EXPERT = "expert", _("Expert meeting")
        NETWORK = "network", _("Network meeting")
        OPERATIONAL = "operational", _("Operational meeting")

    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    online = models.BooleanField(_("online"), default=False)
    organiser = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organised_meetings",
        help_text=_("Leave empty when the unit organises the meeting."),
    )
    participant_contacts = models.ManyToManyField(
        Contact, verbose_name=_("partner participants"), blank=True, related_name="meetings"
    )
    participant_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Custos participants"),
        blank=True,
        related_name="meetings",
    )
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.FileField(
        _("minutes"), upload_to="meetings/minutes/%Y/", blank=True, max_length=300
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["start_date"], name="meeting_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="meeting_dates_ordered",
                violation_error_message=_("The meeting ends before it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(venue="") | Q(online=True),
                name="meeting_venue_or_online",
                violation_error_message=_("Give a venue or mark the meeting as online."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def minutes_filename(self) -> str:
        return (self.minutes.name or "").rsplit("/", 1)[-1] if self.minutes else ""


class FollowUpActionQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> FollowUpActionQuerySet:
        """The actions of the meetings ``user`` may read."""
        return self.filter(meeting__in=Meeting.objects.visible_to(user))

    def overdue_on(self, day: date) -> FollowUpActionQuerySet:
        return self.filter(done=False, due_date__lt=day)

    def overdue(self) -> FollowUpActionQuerySet:
        return self.overdue_on(timezone.localdate())


class FollowUpAction(models.Model):
    """Something agreed at a meeting that one person must do by a date. It is overdue while
    it is not done and its due date has passed."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="meeting_actions",
    )
    description = models.TextField(_("description"))
    due_date = models.DateField(_("due date"))
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = FollowUpActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        ordering = ["done", "due_date", "id"]
        indexes = [models.Index(fields=["done", "due_date"], name="meeting_action_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(done=False, done_at__isnull=True) | Q(done=True, done_at__isnull=False),
                name="meeting_action_done_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_overdue(self) -> bool:
        return not self.done and self.due_date < timezone.localdate()

    @property
    def audit_label(self) -> str:
        return f"{self.meeting.title}: {self.description[:80]}"

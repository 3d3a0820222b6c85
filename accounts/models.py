"""Users, their clearance and roles, their notifications and their recovery codes."""

from __future__ import annotations

import hashlib
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from accounts.roles import Role


class Clearance(models.IntegerChoices):
    """Security clearance; a user sees classified material up to their level."""

    UNCLASSIFIED = 0, _("Unclassified")
    RESTRICTED = 1, _("Restricted")
    CONFIDENTIAL = 2, _("Confidential")
    SECRET = 3, _("Secret")


# django-otp's devices are untyped, so the stubs cannot see the reverse manager they add.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person who logs in to Custos.

    Names from many scripts and naming traditions do not split into first and last names,
    so a user has one ``full_name``. Users are deactivated, never deleted: the audit trail
    refers to them.
    """

    # One full_name instead (removing AbstractUser's fields, as Django documents).
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    clearance = models.PositiveSmallIntegerField(
        _("clearance level"), choices=Clearance.choices, default=Clearance.UNCLASSIFIED
    )

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="accounts_user_email_unique"
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        """The user's role values (one query, cached on the instance for the request)."""
        valid = set(Role.values)
        return frozenset(
            name for name in self.groups.values_list("name", flat=True) if name in valid
        )

    def has_role(self, *roles: Role) -> bool:
        return self.is_active and bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(value).label) for value in Role.values if value in self.roles]


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: User) -> NotificationQuerySet:
        """A user's own notifications; nobody reads another's."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class Notification(models.Model):
    """A message to one user: listed in the app, and e-mailed by a Celery task."""

    class EmailStatus(models.TextChoices):
        NOT_REQUESTED = "not_requested", _("Not requested")
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.NOT_REQUESTED
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def recovery_code_digest(code: str) -> str:
    """What is stored of a recovery code: the SHA-256 of its normalised form.

    The codes are random (80 bits), so a fast hash is enough: nobody can guess one from its
    digest, and a digest typed at the login form is not a code. Spaces, hyphens and case do
    not matter when typing one."""
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalised.encode()).hexdigest()


class RecoveryCodeDevice(Device):
    """A user's single-use recovery codes, as a django-otp device.

    Unlike django-otp's static device, which keeps its tokens in clear, only a digest of each
    code is stored (``recovery_code_digest``): reading the database does not reveal a code
    that could complete a login. A code is consumed by deleting its row, with the device row
    locked by ``django_otp.match_token``."""

    class Meta:
        verbose_name = _("Recovery codes")
        verbose_name_plural = _("Recovery codes")

    def verify_token(self, token: str) -> bool:
        used, _rows = self.codes.filter(digest=recovery_code_digest(str(token))).delete()
        return used > 0


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.device}"  # never the digest

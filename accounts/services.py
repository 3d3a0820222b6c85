"""Writes about users: profile, two-factor devices, notifications. Each audits in its own
transaction."""

from __future__ import annotations

import base64
import secrets
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import (
    Notification,
    RecoveryCode,
    RecoveryCodeDevice,
    User,
    recovery_code_digest,
)
from accounts.roles import Role
from audit.services import audit_record

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RECOVERY_CODE_COUNT = 10


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    full_name: str,
    roles: list[Role],
    clearance: int,
    password: str | None,
    actor: User | None,
    preferred_language: str = settings.LANGUAGE_CODE,
) -> User:
    """Creates an account with its roles; ``password=None`` leaves it unusable (invitations)."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("A user with that username already exists."))
    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("A user with that e-mail address already exists."))
    user = User(
        username=username,
        email=email,
        full_name=full_name,
        clearance=clearance,
        preferred_language=preferred_language,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    user.groups.add(*Group.objects.filter(name__in=[role.value for role in roles]))
    audit_record(
        actor=actor,
        action="account.created",
        target=user,
        details={"roles": sorted(r.value for r in roles), "clearance": int(clearance)},
    )
    return user


@transaction.atomic
def profile_update(*, user: User, actor: User, full_name: str, preferred_language: str) -> User:
    changed = []
    if user.full_name != full_name:
        user.full_name = full_name
        changed.append("full_name")
    if user.preferred_language != preferred_language:
        user.preferred_language = preferred_language
        changed.append("preferred_language")
    if changed:
        user.save(update_fields=changed)
        audit_record(
            actor=actor, action="account.profile_updated", target=user, details={"fields": changed}
        )
    return user


@transaction.atomic
def password_change(*, user: User, new_password: str) -> None:
    """Sets a password already checked by Django's PasswordChangeForm (old password,
    validators), and records the change."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action="account.password_changed", target=user)


def _recovery_code() -> str:
    """16 random base32 characters (80 bits), as django-otp's static tokens."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()


def _recovery_codes_replace(user: User) -> list[str]:
    """A new set of recovery codes for ``user``: the codes are returned to be shown once,
    and only their digests are stored. Earlier codes stop working."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_code_digest(code)) for code in codes
    )
    return codes


@transaction.atomic
def totp_enrol(*, user: User, key: str, token: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirms a new authenticator app if ``token`` is a current code for ``key``.

    Returns the device and a fresh set of recovery codes, or ``None`` when the code is
    wrong (nothing is stored then). An earlier authenticator of the user is replaced.
    """
    device = TOTPDevice(user=user, name="authenticator", key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not token.isdigit() or not totp.verify(int(token), tolerance=device.tolerance):
        audit_record(actor=user, action="auth.2fa_enrol_failed", target=user)
        return None
    TOTPDevice.objects.filter(user=user).delete()
    device.last_t = totp.t()  # the enrolment code cannot be replayed to log in
    device.save()
    codes = _recovery_codes_replace(user)
    audit_record(actor=user, action="auth.2fa_enrolled", target=user)
    return device, codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    codes = _recovery_codes_replace(user)
    audit_record(actor=user, action="auth.recovery_codes_regenerated", target=user)
    return codes


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    audit_record(actor=user, action="auth.2fa_disabled", target=user)


@transaction.atomic
def language_set(*, user: User, language: str) -> None:
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
        audit_record(
            actor=user,
            action="account.language_changed",
            target=user,
            details={"language": language},
        )


@transaction.atomic
def notification_send(
    *, user: User, title: StrOrPromise, body: StrOrPromise = "", url: str = "", email: bool = True
) -> Notification:
    """Notifies ``user``: an in-app notification, and an e-mail sent by a worker.

    ``title`` and ``body`` may be lazy translations: they are rendered in the recipient's
    preferred language. The e-mail is queued only once this transaction commits.
    """
    from accounts.tasks import send_notification_email

    with override(user.preferred_language):
        notification = Notification.objects.create(
            user=user,
            title=str(title)[:200],
            body=str(body),
            url=url,
            email_status=(
                Notification.EmailStatus.PENDING
                if email and user.email
                else Notification.EmailStatus.NOT_REQUESTED
            ),
        )
    audit_record(
        actor=None, action="notification.sent", target=notification, details={"recipient": user.pk}
    )
    if notification.email_status == Notification.EmailStatus.PENDING:
        send_notification_email.delay_on_commit(notification.pk)
    return notification


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> None:
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        audit_record(actor=user, action="notification.read", target=notification)


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    count = Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        audit_record(actor=user, action="notification.read_all", details={"count": count})
    return count

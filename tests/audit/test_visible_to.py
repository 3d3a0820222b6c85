"""The audit trail and notifications have ``visible_to`` like every model a user reads."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import Notification, User
from accounts.services import notification_send
from audit.models import AuditEvent
from audit.services import audit_record


def test_the_trail_is_visible_to_unit_admins_only(
    unit_admin: User, lead: User, investigator: User
) -> None:
    audit_record(actor=lead, action="case.viewed")
    assert AuditEvent.objects.visible_to(unit_admin).count() == AuditEvent.objects.count() > 0
    assert not AuditEvent.objects.visible_to(lead).exists()
    assert not AuditEvent.objects.visible_to(investigator).exists()
    assert not AuditEvent.objects.visible_to(AnonymousUser()).exists()  # type: ignore[arg-type]  # a request's anonymous user


def test_a_notification_is_visible_to_its_recipient_only(
    lead: User, investigator: User, unit_admin: User
) -> None:
    notification_send(user=lead, title="For the lead")
    notification_send(user=investigator, title="For the investigator")
    assert [n.title for n in Notification.objects.visible_to(lead)] == ["For the lead"]
    assert [n.title for n in Notification.objects.visible_to(investigator)] == [
        "For the investigator"
    ]
    assert not Notification.objects.visible_to(unit_admin).exists()

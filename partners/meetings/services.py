"""Writes about meetings with partners. Every write checks its actor (``selectors``), owns its
transaction and writes its audit row in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import notification_send
from audit.services import audit_record
from partners.meetings.selectors import (
    eligible_owners,
    eligible_participants,
    may_complete,
    may_manage,
)
from partners.models import Contact, FollowUpAction, Meeting, PartnerOrganisation

MEETING_FIELDS = (
    "title",
    "kind",
    "start_date",
    "end_date",
    "venue",
    "online",
    "organiser",
    "agenda",
)


def _require_manager(actor: User) -> None:
    if not may_manage(actor):
        raise PermissionDenied


def _check_participants(users: Iterable[User]) -> None:
    eligible = set(eligible_participants().values_list("pk", flat=True))
    if any(user.pk not in eligible for user in users):
        raise ValidationError(
            {"participant_users": _("Only unit staff and liaisons can take part in a meeting.")}
        )


def _fill(meeting: Meeting, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in MEETING_FIELDS:
        if name in data and getattr(meeting, name) != data[name]:
            setattr(meeting, name, data[name])
            changed.append(name)
    return changed


@transaction.atomic
def meeting_create(
    *,
    actor: User,
    title: str,
    kind: str,
    start_date: date,
    end_date: date,
    venue: str = "",
    online: bool = False,
    organiser: PartnerOrganisation | None = None,
    agenda: str = "",
    participant_contacts: Iterable[Contact] = (),
    participant_users: Iterable[User] = (),
    minutes: UploadedFile[bytes] | None = None,
) -> Meeting:
    """Records a meeting; ``organiser=None`` means the unit organises it."""
    _require_manager(actor)
    participant_contacts, participant_users = list(participant_contacts), list(participant_users)
    _check_participants(participant_users)
    meeting = Meeting(created_by=actor)
    _fill(
        meeting,
        {
            "title": title,
            "kind": kind,
            "start_date": start_date,
            "end_date": end_date,
            "venue": venue,
            "online": online,
            "organiser": organiser,
            "agenda": agenda,
        },
    )
    meeting.full_clean(exclude=["minutes"])
    meeting.save()
    meeting.participant_contacts.set(participant_contacts)
    meeting.participant_users.set(participant_users)
    audit_record(
        actor=actor,
        action="meeting.created",
        target=meeting,
        details={
            "kind": kind,
            "contacts": sorted(c.pk for c in participant_contacts),
            "users": sorted(u.pk for u in participant_users),
        },
    )
    if minutes is not None:
        minutes_attach(meeting=meeting, actor=actor, file=minutes)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    actor: User,
    participant_contacts: Iterable[Contact] | None = None,
    participant_users: Iterable[User] | None = None,
    minutes: UploadedFile[bytes] | None = None,
    **data: Any,
) -> Meeting:
    """Changes a meeting's fields (those in ``data``), its participants when given, and
    attaches new minutes when given. Audits the names of what changed."""
    _require_manager(actor)
    unknown = set(data) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"meeting_update() got unexpected fields {sorted(unknown)}")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    changed = _fill(meeting, data)
    if changed:
        meeting.full_clean(exclude=["minutes"])
        meeting.save(update_fields=changed)
    details: dict[str, Any] = {}
    if participant_contacts is not None:
        new = {c.pk for c in participant_contacts}
        if new != set(meeting.participant_contacts.values_list("pk", flat=True)):
            meeting.participant_contacts.set(list(participant_contacts))
            changed.append("participant_contacts")
            details["contacts"] = sorted(new)
    if participant_users is not None:
        participant_users = list(participant_users)
        new = {u.pk for u in participant_users}
        old = set(meeting.participant_users.values_list("pk", flat=True))
        if new != old:
            # Only newcomers are checked: someone who has since lost their role does not
            # block the edit, they just cannot open the meeting any more.
            _check_participants(u for u in participant_users if u.pk not in old)
            meeting.participant_users.set(participant_users)
            changed.append("participant_users")
            details["users"] = sorted(new)
    if changed:
        audit_record(
            actor=actor,
            action="meeting.updated",
            target=meeting,
            details={"fields": changed, **details},
        )
    if minutes is not None:
        minutes_attach(meeting=meeting, actor=actor, file=minutes)
    return meeting


@transaction.atomic
def minutes_attach(*, meeting: Meeting, actor: User, file: UploadedFile[bytes]) -> Meeting:
    """Stores the minutes of a meeting. Earlier minutes stay in storage, and the audit row
    names them, so a replaced version can still be found."""
    _require_manager(actor)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    previous = meeting.minutes.name if meeting.minutes else ""
    meeting.minutes.save(file.name or "minutes", file, save=False)
    meeting.save(update_fields=["minutes"])
    audit_record(
        actor=actor,
        action="meeting.minutes_attached",
        target=meeting,
        details={"file": meeting.minutes.name, "replaced": previous, "size": file.size},
    )
    return meeting


@transaction.atomic
def action_add(
    *, meeting: Meeting, actor: User, owner: User, description: str, due_date: date
) -> FollowUpAction:
    """Assigns a follow-up action to ``owner``, who is notified (unless they assigned it to
    themselves). The owner must be someone who can open the meeting."""
    _require_manager(actor)
    if not eligible_owners(meeting).filter(pk=owner.pk).exists():
        raise ValidationError(
            {"owner": _("The owner must be unit staff or a liaison taking part in the meeting.")}
        )
    action = FollowUpAction(
        meeting=meeting,
        owner=owner,
        description=description,
        due_date=due_date,
        created_by=actor,
    )
    action.full_clean()
    action.save()
    audit_record(
        actor=actor,
        action="meeting.action_added",
        target=action,
        details={"meeting": meeting.pk, "owner": owner.pk, "due_date": due_date.isoformat()},
    )
    if owner.pk != actor.pk:
        notification_send(
            user=owner,
            title=gettext_lazy("A follow-up action from a meeting is assigned to you"),
            body=format_lazy(
                gettext_lazy("{meeting}: {description} (due on {due_date})"),
                meeting=meeting.title,
                description=description,
                due_date=due_date.isoformat(),
            ),
            url=reverse("meetings:detail", args=[meeting.pk]),
        )
    return action


@transaction.atomic
def action_complete(*, action: FollowUpAction, actor: User) -> FollowUpAction:
    """Marks an action done (by a unit admin, a case lead or its owner). Completing an action
    that is already done changes nothing."""
    if not may_complete(actor, action):
        raise PermissionDenied
    action = FollowUpAction.objects.select_for_update().select_related("meeting").get(pk=action.pk)
    if action.done:
        return action
    action.done, action.done_at, action.done_by = True, timezone.now(), actor
    action.save(update_fields=["done", "done_at", "done_by"])
    audit_record(
        actor=actor,
        action="meeting.action_completed",
        target=action,
        details={
            "meeting": action.meeting_id,
            "overdue": action.due_date < timezone.localdate(),
        },
    )
    return action

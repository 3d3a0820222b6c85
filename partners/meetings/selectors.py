"""Reads of meetings with partners: who may see and change them.

Unit admins and case leads organise meetings and their follow-up; the unit's staff read every
meeting; a tribunal liaison reads only the meetings they take part in.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from partners.models import FollowUpAction, Meeting

MANAGERS = (Role.UNIT_ADMIN, Role.CASE_LEAD)
# Who may open the meeting list at all; a liaison then sees only their own meetings.
LIST_ROLES = (*STAFF_ROLES, Role.TRIBUNAL_LIAISON)


def may_manage(user: User) -> bool:
    return user.is_authenticated and user.has_role(*MANAGERS)


def may_complete(user: User, action: FollowUpAction) -> bool:
    return may_manage(user) or (user.is_authenticated and action.owner_id == user.pk)


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    """The meetings ``user`` may read: all for unit staff, their own for a liaison."""
    return Meeting.objects.visible_to(user)


def meeting_list(
    user: User, *, kind: str = "", when: str = "", today: date | None = None
) -> QuerySet[Meeting]:
    """The visible meetings, filtered, each with ``overdue_count`` (one query for the page)."""
    today = today or timezone.localdate()
    meetings = meetings_visible_to(user).select_related("organiser")
    if kind:
        meetings = meetings.filter(kind=kind)
    order = ["-start_date", "-id"]
    if when == "upcoming":
        meetings, order = meetings.filter(end_date__gte=today), ["start_date", "id"]
    elif when == "past":
        meetings = meetings.filter(end_date__lt=today)
    # Ordered after annotating: an aggregate drops the model's default ordering.
    return meetings.annotate(
        overdue_count=Count(
            "actions", filter=Q(actions__done=False, actions__due_date__lt=today), distinct=True
        )
    ).order_by(*order)


def meeting_get(user: User, pk: int) -> Meeting:
    """One meeting for ``user``; 404 when they may not see it (its existence stays hidden)."""
    meeting = meetings_visible_to(user).select_related("organiser").filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def action_get(meeting: Meeting, pk: int) -> FollowUpAction:
    action = meeting.actions.select_related("owner").filter(pk=pk).first()
    if action is None:
        raise Http404
    return action


def overdue_actions(user: User) -> QuerySet[FollowUpAction]:
    """Follow-up actions not done by their due date, of the meetings ``user`` may read."""
    return (
        FollowUpAction.objects.overdue()
        .visible_to(user)
        .select_related("meeting", "owner")
        .order_by("due_date", "id")
    )


def eligible_participants() -> QuerySet[User]:
    """Custos users who could read a meeting they take part in."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[r.value for r in LIST_ROLES])
        .distinct()
        .order_by("full_name", "username")
    )


def eligible_owners(meeting: Meeting) -> QuerySet[User]:
    """Who may own a follow-up action: someone who can open the meeting to do it."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__name__in=[r.value for r in STAFF_ROLES])
            | Q(groups__name=Role.TRIBUNAL_LIAISON.value, meetings=meeting)
        )
        .distinct()
        .order_by("full_name", "username")
    )

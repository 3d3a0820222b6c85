"""The case team (who may read and do what on a case) and a unit admin's break-glass
access."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Role as UserRole
from accounts.services import notification_send
from audit.services import audit_record
from cases import permissions as P
from cases.models import (
    BreakGlassAccess,
    Case,
    CaseMember,
    CasePersonUserObjectPermission,
    IdentityGrant,
)
from cases.selectors import case_permissions
from cases.services.common import case_lock, grant_role, notify, revoke_all

BREAK_GLASS_MAX_HOURS = 24
# The unit roles a user needs to hold each role on a case team (liaisons and trainees never
# join a team: partners see shared cases through the partners app).
TEAM_ROLE_REQUIRES: dict[str, tuple[UserRole, ...]] = {
    CaseMember.Role.LEAD: (UserRole.CASE_LEAD,),
    CaseMember.Role.INVESTIGATOR: (UserRole.CASE_LEAD, UserRole.INVESTIGATOR),
    CaseMember.Role.ANALYST: (
        UserRole.CASE_LEAD,
        UserRole.INVESTIGATOR,
        UserRole.ANALYST,
    ),
}


def _may_manage_team(actor: User, case: Case) -> bool:
    return P.MANAGE_TEAM in case_permissions(actor, case) or actor.has_role(UserRole.UNIT_ADMIN)


@transaction.atomic
def case_member_add(*, case: Case, actor: User, user: User, role: str) -> CaseMember:
    if not _may_manage_team(actor, case):
        raise PermissionDenied
    case = case_lock(case)
    if CaseMember.objects.filter(case=case, user=user).exists():
        raise ValidationError({"user": _("This person is already on the team.")})
    if not user.is_active:
        raise ValidationError({"user": _("This account is inactive.")})
    if user.clearance < case.classification:
        raise ValidationError(
            {"user": _("This user is not cleared for the case's classification.")}
        )
    if not user.has_role(*TEAM_ROLE_REQUIRES[role]):
        raise ValidationError(
            {"role": _("This user's role in the unit does not allow this role on a case team.")}
        )
    member = CaseMember.objects.create(case=case, user=user, role=role, added_by=actor)
    grant_role(case, user, role)
    audit_record(
        actor=actor,
        action="case.member_added",
        target=case,
        details={"user": user.get_username(), "user_id": user.pk, "role": role},
    )
    notification_send(
        user=user,
        title=gettext_lazy("You have been added to a case team"),
        url=reverse("cases:detail", args=[case.pk]),
    )
    return member


@transaction.atomic
def case_member_remove(*, case: Case, actor: User, member: CaseMember) -> None:
    """Takes a member off the team: their access ends with the next request."""
    if not _may_manage_team(actor, case):
        raise PermissionDenied
    case = case_lock(case)
    if (
        member.role == CaseMember.Role.LEAD
        and not case.members.filter(role=CaseMember.Role.LEAD).exclude(pk=member.pk).exists()
    ):
        raise ValidationError(_("A case must keep at least one case lead."))
    user = member.user
    member.delete()
    revoke_all(case, user)
    CasePersonUserObjectPermission.objects.filter(user=user, content_object__case=case).delete()
    IdentityGrant.objects.filter(user=user, case_person__case=case, revoked_at__isnull=True).update(
        revoked_by=actor, revoked_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action="case.member_removed",
        target=case,
        details={"user": user.get_username(), "user_id": user.pk, "role": member.role},
    )


@transaction.atomic
def break_glass_open(
    *, case: Case, actor: User, justification: str, hours: int
) -> BreakGlassAccess:
    """A unit admin's emergency read access to a case, justified, time-limited, audited, and
    announced to the case leads."""
    if not actor.has_role(UserRole.UNIT_ADMIN):
        raise PermissionDenied
    if actor.clearance < case.classification:
        raise ValidationError(_("You are not cleared for this case's classification."))
    if not justification.strip():
        raise ValidationError({"justification": _("Write why you need this access.")})
    if not 1 <= hours <= BREAK_GLASS_MAX_HOURS:
        raise ValidationError(
            {
                "hours": _("Access lasts between 1 and %(max)d hours.")
                % {"max": BREAK_GLASS_MAX_HOURS}
            }
        )
    now = timezone.now()
    access = BreakGlassAccess.objects.create(
        case=case,
        user=actor,
        justification=justification,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    audit_record(
        actor=actor,
        action="case.break_glass",
        target=case,
        details={
            "hours": hours,
            "justification": justification[:500],
            "access_id": access.pk,
        },
    )
    leads = User.objects.filter(case_memberships__case=case, case_memberships__role="lead")
    notify(
        leads,
        gettext_lazy("A unit admin opened break-glass access to your case"),
        reverse("cases:activity", args=[case.pk]),
    )
    return access

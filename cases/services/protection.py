"""Protected persons: pseudonyms and measures, protection following the person into every
case that links them, and who may see a protected identity (grants and revocations)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import User
from accounts.services import notification_send
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import (
    Case,
    CaseMember,
    CasePerson,
    CasePersonUserObjectPermission,
    IdentityGrant,
    Person,
    ProtectiveMeasure,
)
from cases.services.common import case_lock, refresh_search, require

PSEUDONYM_PREFIX: dict[str, str] = {
    CasePerson.Role.SUSPECT: "S",
    CasePerson.Role.VICTIM: "V",
    CasePerson.Role.WITNESS: "W",
    CasePerson.Role.VICTIM_WITNESS: "W",
    CasePerson.Role.INSIDER_WITNESS: "W",
    CasePerson.Role.EXPERT: "E",
    CasePerson.Role.SOURCE: "SRC",
}


def pseudonym_next(case: Case, role: str) -> str:
    prefix = PSEUDONYM_PREFIX[role]
    taken = case.persons.filter(pseudonym__startswith=f"{prefix}-").values_list(
        "pseudonym", flat=True
    )
    numbers = [int(p.split("-")[-1]) for p in taken if p.split("-")[-1].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:04d}"


def _identity_details(user: User, case_person: CasePerson) -> dict[str, Any]:
    """Whose identity access changed, as an audit row names it (never the person's name)."""
    return {"user": user.get_username(), "user_id": user.pk, "case_person": case_person.pk}


def identity_give(
    *, case_person: CasePerson, user: User, granted_by: User, kind: str
) -> IdentityGrant:
    """Guardian's row (what reads check), the grant naming who decided, and the audit row."""
    assign_perm(f"cases.{P.VIEW_IDENTITY}", user, case_person)
    grant = IdentityGrant.objects.create(
        case_person=case_person, user=user, kind=kind, granted_by=granted_by
    )
    audit_record(
        actor=granted_by,
        action="person.identity_granted",
        target=case_person,
        details={**_identity_details(user, case_person), "kind": kind},
    )
    return grant


def protect_one(
    *,
    case_person: CasePerson,
    actor: User,
    measures: Iterable[str],
    note: str = "",
    follows: CasePerson | None = None,
) -> None:
    """Protects (or changes the measures of) one person in one case, audited."""
    case = case_person.case
    if not case_person.protected:
        case_person.pseudonym = pseudonym_next(case, case_person.role)
        case_person.protected = True
        case_person.save(update_fields=["pseudonym", "protected"])
    wanted = set(measures) or {ProtectiveMeasure.Kind.IDENTITY_NON_DISCLOSURE}
    case_person.measures.exclude(kind__in=wanted).delete()
    existing = set(case_person.measures.values_list("kind", flat=True))
    for kind in wanted - existing:
        ProtectiveMeasure.objects.create(
            case_person=case_person, kind=kind, note=note, created_by=actor
        )
    refresh_search(case)
    details: dict[str, Any] = {
        "measures": sorted(wanted),
        "case_person": case_person.pk,
    }
    if follows is not None:
        details["follows"] = follows.pk
    audit_record(actor=actor, action="person.protected", target=case_person, details=details)


def protection_follow(
    *, person: Person, origin: CasePerson, actor: User, newly_protected: bool = False
) -> None:
    """Protects ``person`` in every case that links them, as in ``origin``'s case: a
    pseudonym and identity non-disclosure there. The leads of each case protection spreads to
    (and of ``origin``'s, when it was ``newly_protected`` there) keep the identity there, and
    so do members of those cases who hold it in some case (each a grant recorded as decided
    by ``actor``); nobody else sees it."""
    others = list(
        CasePerson.objects.filter(person=person, protected=False)
        .exclude(pk=origin.pk)
        .select_related("case")
        .order_by("case_id")
    )
    for other in others:
        case_lock(other.case)
        protect_one(
            case_person=other,
            actor=actor,
            measures=[ProtectiveMeasure.Kind.IDENTITY_NON_DISCLOSURE],
            follows=origin,
        )
    protected = list(CasePerson.objects.filter(person=person, protected=True))
    held = set(
        CasePersonUserObjectPermission.objects.filter(
            content_object__in=protected, permission__codename=P.VIEW_IDENTITY
        ).values_list("user_id", "content_object_id")
    )
    # The leads read the name until now, and someone in each case must hold it to decide who
    # else may (a lead grants only what they hold): protected from another case by one of its
    # contributors alone, the person would be a pseudonym to every lead of their home case.
    # The origin's leads too when the person was just protected there (they read the name
    # until now): protected by an investigator, the person must stay known to a lead of the
    # case, or nobody there could grant them to anyone. Not when an already protected person
    # is linked into a case: its leads never knew them.
    spread = [*others, origin] if newly_protected else others
    leads = CaseMember.objects.filter(
        case_id__in=[other.case_id for other in spread],
        role=CaseMember.Role.LEAD,
        user__is_active=True,
    ).select_related("user")
    lead_of: dict[int, list[User]] = defaultdict(list)
    for member in leads.order_by("user_id"):
        lead_of[member.case_id].append(member.user)

    def follow(case_person: CasePerson, user: User) -> None:
        """The identity to ``user`` in ``case_person``'s case, unless they hold it there."""
        if (user.pk, case_person.pk) not in held:
            identity_give(
                case_person=case_person,
                user=user,
                granted_by=actor,
                kind=IdentityGrant.Kind.FOLLOWS,
            )
            held.add((user.pk, case_person.pk))

    for other in spread:
        for user in lead_of[other.case_id]:
            follow(other, user)
    holders = {user_id for user_id, _ in held}
    for case_person in protected:
        members = User.objects.filter(
            pk__in=holders, case_memberships__case_id=case_person.case_id
        ).order_by("pk")
        for user in members:
            follow(case_person, user)


@transaction.atomic
def case_person_protect(
    *, case_person: CasePerson, actor: User, measures: Iterable[str], note: str = ""
) -> CasePerson:
    """Puts a person of a case under protection (or changes the measures): a pseudonym for
    everyone without a grant, and the identity kept by the actor, who knows it already.
    Protection follows the person into every other case that links them."""
    case = case_person.case
    require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    if case_person.protected and not identity_visible_to(actor, case_person):
        raise PermissionDenied
    case_lock(case)
    first = not case_person.protected
    protect_one(case_person=case_person, actor=actor, measures=measures, note=note)
    if first:
        identity_give(
            case_person=case_person,
            user=actor,
            granted_by=actor,
            kind=IdentityGrant.Kind.PROTECTOR,
        )
        protection_follow(
            person=case_person.person,
            origin=case_person,
            actor=actor,
            newly_protected=True,
        )
    return case_person


def identity_visible_to(user: User, case_person: CasePerson) -> bool:
    if not case_person.protected:
        return True
    return CasePersonUserObjectPermission.objects.filter(
        user=user, content_object=case_person, permission__codename=P.VIEW_IDENTITY
    ).exists()


@transaction.atomic
def identity_grant(*, case_person: CasePerson, actor: User, user: User) -> IdentityGrant:
    """Lets ``user`` (a member of the case) see who a protected person is. Four eyes: the
    lead who decides holds the identity and grants it to someone else, never to themselves."""
    case = case_person.case
    require(actor, case, P.GRANT_IDENTITY)
    if not case_person.protected:
        raise ValidationError(_("This person is not protected."))
    if user.pk == actor.pk:
        raise ValidationError(
            {"user": _("Nobody grants an identity to themselves: another case lead decides.")}
        )
    if not identity_visible_to(actor, case_person):
        raise ValidationError(_("You can grant only an identity that you hold yourself."))
    if not CaseMember.objects.filter(case=case, user=user).exists():
        raise ValidationError({"user": _("Only members of the case team can be granted.")})
    if identity_visible_to(user, case_person):
        raise ValidationError({"user": _("This user already has the identity.")})
    grant = identity_give(
        case_person=case_person,
        user=user,
        granted_by=actor,
        kind=IdentityGrant.Kind.DECISION,
    )
    notification_send(
        user=user,
        title=gettext_lazy("You have been granted a protected identity"),
        url=reverse("cases:person_detail", args=[case.pk, case_person.pk]),
    )
    return grant


@transaction.atomic
def identity_revoke(*, case_person: CasePerson, actor: User, user: User) -> None:
    require(actor, case_person.case, P.GRANT_IDENTITY)
    remove_perm(f"cases.{P.VIEW_IDENTITY}", user, case_person)
    IdentityGrant.objects.filter(
        case_person=case_person, user=user, revoked_at__isnull=True
    ).update(revoked_by=actor, revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action="person.identity_revoked",
        target=case_person,
        details=_identity_details(user, case_person),
    )


def identity_holders(case_person: CasePerson) -> list[User]:
    perm = Permission.objects.get(content_type__app_label="cases", codename=P.VIEW_IDENTITY)
    return list(
        User.objects.filter(
            pk__in=CasePersonUserObjectPermission.objects.filter(
                content_object=case_person, permission=perm
            ).values("user_id")
        ).order_by("username")
    )

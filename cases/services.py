"""Writes about cases. Each service checks what the actor may do, owns its transaction and
writes its audit row in it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import User
from accounts.roles import Role as UserRole
from accounts.services import notification_send
from audit.services import audit_read, audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import (
    BreakGlassAccess,
    Case,
    CaseMember,
    CaseNote,
    CaseNoteRevision,
    CasePerson,
    CasePersonUserObjectPermission,
    CaseReferenceCounter,
    Crime,
    IdentityGrant,
    Incident,
    Person,
    PersonName,
    ProtectiveMeasure,
    StatusChange,
)
from cases.search import search_document_for
from cases.selectors import (
    CaseAccess,
    PersonRow,
    case_permissions,
    crime_categories_for,
)

CASE_FIELDS = (
    "title",
    "summary",
    "situation",
    "countries",
    "period_start",
    "period_end",
    "classification",
    "sgbv",
    "priority",
    "referral_source",
)
INCIDENT_FIELDS = (
    "title",
    "description",
    "date_start",
    "date_end",
    "date_precision",
    "place_name",
    "country",
    "admin_area",
    "latitude",
    "longitude",
    "estimated_victims",
)
PERSON_FIELDS = (
    "full_name",
    "birth_date",
    "birth_year",
    "gender",
    "nationality",
    "affiliation",
    "unit",
    "rank",
)
PSEUDONYM_PREFIX = {
    CasePerson.Role.SUSPECT: "S",
    CasePerson.Role.VICTIM: "V",
    CasePerson.Role.WITNESS: "W",
    CasePerson.Role.VICTIM_WITNESS: "W",
    CasePerson.Role.INSIDER_WITNESS: "W",
    CasePerson.Role.EXPERT: "E",
    CasePerson.Role.SOURCE: "SRC",
}
BREAK_GLASS_MAX_HOURS = 24
# The unit roles a user needs to hold each role on a case team (liaisons and trainees never
# join a team: partners see shared cases through the partners app).
TEAM_ROLE_REQUIRES = {
    CaseMember.Role.LEAD: (UserRole.CASE_LEAD,),
    CaseMember.Role.INVESTIGATOR: (UserRole.CASE_LEAD, UserRole.INVESTIGATOR),
    CaseMember.Role.ANALYST: (UserRole.CASE_LEAD, UserRole.INVESTIGATOR, UserRole.ANALYST),
}


def _require(actor: User, case: Case, perm: str) -> None:
    if perm not in case_permissions(actor, case):
        raise PermissionDenied


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _refresh_search(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(search_document=search_document_for(case))


def _refresh_crime_categories(case: Case) -> None:
    """Sets the case's ``alleges_*`` flags from the crimes of the case and its incidents."""
    alleged = crime_categories_for(case)
    flags = {Case.crime_category_flag(c): c in alleged for c in Crime.Category}
    Case.objects.filter(pk=case.pk).update(**flags)
    for name, value in flags.items():
        setattr(case, name, value)


def _grant_role(case: Case, user: User, role: str) -> None:
    for perm in P.ROLE_PERMISSIONS[role]:
        assign_perm(f"cases.{perm}", user, case)


def _revoke_all(case: Case, user: User) -> None:
    for perm in P.ALL_CASE_PERMISSIONS:
        remove_perm(f"cases.{perm}", user, case)


def _changed(instance: Any, data: dict[str, Any], fields: Iterable[str]) -> list[str]:
    changed = []
    for name in fields:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    return changed


def _validate_period(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ValidationError({"period_end": _("The end of the period is before its start.")})


def _notify(users: Iterable[User], title: str, url: str) -> None:
    for user in users:
        notification_send(user=user, title=title, url=url)


# --- Reads that are recorded -----------------------------------------------------------------


def case_read_record(
    *,
    access: CaseAccess,
    actor: User,
    page: str,
    shown: Iterable[PersonRow] = (),
    shown_via: str = "",
    **details: Any,
) -> None:
    """Every page of a case is an audited read (``case.viewed``); reads through break-glass
    say so. ``shown`` are the persons the page showed: each protected identity among them is
    an audited read too (``person.identity_viewed``, ``via`` ``shown_via``)."""
    audit_read(
        actor=actor,
        action="case.viewed",
        target=access.case,
        details={"page": page, **details},
        break_glass=access.via_break_glass,
        shown=shown,
        shown_via=shown_via,
    )


# --- Cases ------------------------------------------------------------------------------------


@transaction.atomic
def case_create(*, actor: User, crimes: Iterable[Crime] = (), **data: Any) -> Case:
    """Opens a case. Its reference is the next number of the year, without gaps even when
    cases are opened at the same moment (the year's counter row is locked until commit)."""
    if not actor.has_role(UserRole.INVESTIGATOR, UserRole.CASE_LEAD):
        raise PermissionDenied
    if data.get("classification", 0) > actor.clearance:
        raise ValidationError(
            {"classification": _("You cannot open a case above your own clearance.")}
        )
    _validate_period(data.get("period_start"), data.get("period_end"))
    year = timezone.localdate().year
    CaseReferenceCounter.objects.bulk_create(
        [CaseReferenceCounter(year=year, last_number=0)], ignore_conflicts=True
    )
    counter = CaseReferenceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    case = Case(
        year=year,
        number=counter.last_number,
        reference=f"{settings.CUSTOS_CASE_PREFIX}-{year}-{counter.last_number:04d}",
        created_by=actor,
        **{k: v for k, v in data.items() if k in CASE_FIELDS},
    )
    case.full_clean(exclude=["search_document"])
    case.save()
    case.crimes.set(crimes)
    _refresh_crime_categories(case)
    CaseMember.objects.create(case=case, user=actor, role=CaseMember.Role.LEAD, added_by=actor)
    _grant_role(case, actor, CaseMember.Role.LEAD)
    StatusChange.objects.create(
        case=case, from_status="", to_status=case.status, reason=_("Case opened"), actor=actor
    )
    _refresh_search(case)
    audit_record(actor=actor, action="case.created", target=case)
    return case


@transaction.atomic
def case_update(
    *, case: Case, actor: User, crimes: Iterable[Crime] | None = None, **data: Any
) -> Case:
    _require(actor, case, P.CHANGE)
    case_require_open(case)
    case = _lock(case)
    if data.get("classification", case.classification) > actor.clearance:
        raise ValidationError(
            {"classification": _("You cannot classify a case above your own clearance.")}
        )
    changed = _changed(case, data, CASE_FIELDS)
    _validate_period(case.period_start, case.period_end)
    if crimes is not None and set(crimes) != set(case.crimes.all()):
        case.crimes.set(crimes)
        _refresh_crime_categories(case)
        changed.append("crimes")
    if changed:
        case.full_clean(exclude=["search_document"])
        case.save()
        _refresh_search(case)
        audit_record(actor=actor, action="case.updated", target=case, details={"fields": changed})
    return case


@transaction.atomic
def case_transition(*, case: Case, actor: User, to_status: str, reason: str) -> StatusChange:
    """Moves a case through its workflow, if the actor's case role may take that step."""
    _require(actor, case, P.CHANGE_STATUS)
    case = _lock(case)
    role = CaseMember.objects.filter(case=case, user=actor).values_list("role", flat=True).first()
    allowed = P.TRANSITIONS.get((case.status, to_status))
    if allowed is None:
        raise ValidationError(
            {
                "to_status": _("A case cannot move from “%(from)s” to “%(to)s”.")
                % {
                    "from": Case.Status(case.status).label,
                    "to": Case.Status(to_status).label if to_status in Case.Status else to_status,
                }
            }
        )
    if role not in allowed:
        raise ValidationError({"to_status": _("Your role on this case does not allow this step.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for this change.")})
    change = StatusChange.objects.create(
        case=case, from_status=case.status, to_status=to_status, reason=reason, actor=actor
    )
    case.status = to_status
    case.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="case.status_changed",
        target=case,
        details={"from": change.from_status, "to": to_status},
    )
    others = User.objects.filter(case_memberships__case=case).exclude(pk=actor.pk)
    _notify(
        others,
        gettext_lazy("A case you work on changed status"),
        reverse("cases:detail", args=[case.pk]),
    )
    return change


# --- Team -------------------------------------------------------------------------------------


def _may_manage_team(actor: User, case: Case) -> bool:
    return P.MANAGE_TEAM in case_permissions(actor, case) or actor.has_role(UserRole.UNIT_ADMIN)


@transaction.atomic
def case_member_add(*, case: Case, actor: User, user: User, role: str) -> CaseMember:
    if not _may_manage_team(actor, case):
        raise PermissionDenied
    case = _lock(case)
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
    _grant_role(case, user, role)
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
    case = _lock(case)
    if (
        member.role == CaseMember.Role.LEAD
        and not case.members.filter(role=CaseMember.Role.LEAD).exclude(pk=member.pk).exists()
    ):
        raise ValidationError(_("A case must keep at least one case lead."))
    user = member.user
    member.delete()
    _revoke_all(case, user)
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
    _notify(
        leads,
        gettext_lazy("A unit admin opened break-glass access to your case"),
        reverse("cases:activity", args=[case.pk]),
    )
    return access


# --- Incidents --------------------------------------------------------------------------------


def _validate_incident(data: dict[str, Any]) -> None:
    errors = {}
    start, end = data.get("date_start"), data.get("date_end")
    if start and end and end < start:
        errors["date_end"] = _("The end date is before the start date.")
    if start and start > timezone.localdate():
        errors["date_start"] = _("An incident cannot be in the future.")
    if (data.get("latitude") is None) != (data.get("longitude") is None):
        errors["longitude"] = _("Give both latitude and longitude, or neither.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def incident_create(
    *, case: Case, actor: User, crimes: Iterable[Crime] = (), **data: Any
) -> Incident:
    _require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    _validate_incident(data)
    incident = Incident(
        case=case, created_by=actor, **{k: v for k, v in data.items() if k in INCIDENT_FIELDS}
    )
    incident.full_clean()
    incident.save()
    incident.crimes.set(crimes)
    _refresh_crime_categories(case)
    _refresh_search(case)
    audit_record(actor=actor, action="incident.created", target=incident)
    return incident


@transaction.atomic
def incident_update(
    *, incident: Incident, actor: User, crimes: Iterable[Crime] | None = None, **data: Any
) -> Incident:
    _require(actor, incident.case, P.CONTRIBUTE)
    case_require_open(incident.case)
    merged = {name: data.get(name, getattr(incident, name)) for name in INCIDENT_FIELDS}
    _validate_incident(merged)
    changed = _changed(incident, data, INCIDENT_FIELDS)
    if crimes is not None and set(crimes) != set(incident.crimes.all()):
        incident.crimes.set(crimes)
        _refresh_crime_categories(incident.case)
        changed.append("crimes")
    if changed:
        incident.full_clean()
        incident.save()
        _refresh_search(incident.case)
        audit_record(
            actor=actor, action="incident.updated", target=incident, details={"fields": changed}
        )
    return incident


# --- Persons and protection -------------------------------------------------------------------


def _pseudonym_next(case: Case, role: str) -> str:
    prefix = PSEUDONYM_PREFIX[role]
    taken = case.persons.filter(pseudonym__startswith=f"{prefix}-").values_list(
        "pseudonym", flat=True
    )
    numbers = [int(p.split("-")[-1]) for p in taken if p.split("-")[-1].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:04d}"


def person_is_protected(person: Person) -> bool:
    """Protection follows the person: protected in one case, protected in every case."""
    return CasePerson.objects.filter(person=person, protected=True).exists()


def person_identity_known_to(user: User, person: Person) -> bool:
    """Whether ``user`` holds the identity of ``person`` in any case."""
    return CasePersonUserObjectPermission.objects.filter(
        user=user, content_object__person=person, permission__codename=P.VIEW_IDENTITY
    ).exists()


def person_home_case(person: Person) -> Case | None:
    """The case whose team recorded ``person`` (the earliest link for older rows)."""
    if person.home_case_id is not None:
        return person.home_case
    first = person.case_roles.select_related("case").order_by("created_at", "id").first()
    return first.case if first is not None else None


def person_editable_by(user: User, person: Person) -> bool:
    """Whether ``user`` may change the shared registry fields (names, dates, nationality,
    affiliation...) of ``person``: a contributor of the person's home case."""
    home = person_home_case(person)
    return home is not None and P.CONTRIBUTE in case_permissions(user, home)


def _names_of(person: Person) -> set[tuple[str, str, str]]:
    return {(n.name, n.kind, n.script) for n in person.names.all()}


def _shared_fields_changed(
    person: Person, data: dict[str, Any], names: Iterable[tuple[str, str, str]] | None
) -> bool:
    def plain(value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list | tuple) else value

    if any(plain(getattr(person, k)) != plain(v) for k, v in data.items() if k in PERSON_FIELDS):
        return True
    return names is not None and {n for n in names if n[0].strip()} != _names_of(person)


def _identity_give(
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
        details={
            "user": user.get_username(),
            "user_id": user.pk,
            "case_person": case_person.pk,
            "kind": kind,
        },
    )
    return grant


def _protect_one(
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
        case_person.pseudonym = _pseudonym_next(case, case_person.role)
        case_person.protected = True
        case_person.save(update_fields=["pseudonym", "protected"])
    wanted = set(measures) or {ProtectiveMeasure.Kind.IDENTITY_NON_DISCLOSURE}
    case_person.measures.exclude(kind__in=wanted).delete()
    existing = set(case_person.measures.values_list("kind", flat=True))
    for kind in wanted - existing:
        ProtectiveMeasure.objects.create(
            case_person=case_person, kind=kind, note=note, created_by=actor
        )
    _refresh_search(case)
    details: dict[str, Any] = {"measures": sorted(wanted), "case_person": case_person.pk}
    if follows is not None:
        details["follows"] = follows.pk
    audit_record(actor=actor, action="person.protected", target=case_person, details=details)


def _protection_follow(
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
        _lock(other.case)
        _protect_one(
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
    for other in spread:
        for user in lead_of[other.case_id]:
            if (user.pk, other.pk) not in held:
                _identity_give(
                    case_person=other, user=user, granted_by=actor, kind=IdentityGrant.Kind.FOLLOWS
                )
                held.add((user.pk, other.pk))
    holders = {user_id for user_id, _ in held}
    for case_person in protected:
        members = User.objects.filter(
            pk__in=holders, case_memberships__case_id=case_person.case_id
        ).order_by("pk")
        for user in members:
            if (user.pk, case_person.pk) not in held:
                _identity_give(
                    case_person=case_person,
                    user=user,
                    granted_by=actor,
                    kind=IdentityGrant.Kind.FOLLOWS,
                )


@transaction.atomic
def case_person_add(
    *,
    case: Case,
    actor: User,
    role: str,
    person: Person | None = None,
    names: Iterable[tuple[str, str, str]] = (),
    notes: str = "",
    protect: bool = False,
    measures: Iterable[str] = (),
    **person_data: Any,
) -> CasePerson:
    """Adds a person to a case: an existing registry person, or a new one from
    ``person_data`` (this case becomes their home case). With ``protect``, or when the
    person is protected in another case, the person gets a pseudonym at once, before any page
    could show their name."""
    _require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    case = _lock(case)
    already_protected = False
    if person is None:
        person = Person(
            created_by=actor,
            home_case=case,
            **{k: v for k, v in person_data.items() if k in PERSON_FIELDS},
        )
        person.full_clean()
        person.save()
        for name, kind, script in names:
            if name.strip():
                PersonName.objects.create(person=person, name=name, kind=kind, script=script)
    elif case.persons.filter(person=person).exists():
        raise ValidationError(_("This person is already recorded in this case."))
    else:
        already_protected = person_is_protected(person)
        if already_protected and not person_identity_known_to(actor, person):
            # Only someone who knows who a protected person is can link them.
            raise PermissionDenied
    case_person = CasePerson.objects.create(
        case=case, person=person, role=role, notes=notes, created_by=actor
    )
    audit_record(
        actor=actor,
        action="person.added",
        target=case_person,
        details={"role": role, "case_person": case_person.pk},
    )
    if already_protected:
        origin = CasePerson.objects.filter(person=person, protected=True).order_by("pk").first()
        _protect_one(case_person=case_person, actor=actor, measures=measures, follows=origin)
        _protection_follow(person=person, origin=case_person, actor=actor)
    elif protect:
        case_person_protect(case_person=case_person, actor=actor, measures=measures)
    return case_person


@transaction.atomic
def case_person_update(
    *,
    case_person: CasePerson,
    actor: User,
    role: str,
    notes: str,
    names: Iterable[tuple[str, str, str]] | None = None,
    **person_data: Any,
) -> CasePerson:
    """Edits a person. Changing a protected person's details needs their identity; changing
    the shared registry fields needs the right to contribute to the person's home case (in
    another case, a member changes the role and notes of that case only)."""
    _require(actor, case_person.case, P.CONTRIBUTE)
    case_require_open(case_person.case)
    if case_person.protected and not identity_visible_to(actor, case_person):
        raise PermissionDenied
    person = case_person.person
    names = list(names) if names is not None else None
    if _shared_fields_changed(person, person_data, names) and not person_editable_by(actor, person):
        raise ValidationError(
            _(
                "This person was recorded by the team of another case, which keeps their "
                "details. Here you can change only their role and the notes of this case."
            )
        )
    changed = _changed(person, person_data, PERSON_FIELDS)
    if changed:
        person.full_clean()
        person.save()
    if names is not None and {n for n in names if n[0].strip()} != _names_of(person):
        PersonName.objects.filter(person=person).delete()
        for name, kind, script in names:
            if name.strip():
                PersonName.objects.create(person=person, name=name, kind=kind, script=script)
        changed.append("names")
    changed += _changed(case_person, {"role": role, "notes": notes}, ("role", "notes"))
    case_person.save()
    audit_record(
        actor=actor, action="person.updated", target=case_person, details={"fields": changed}
    )
    return case_person


@transaction.atomic
def case_person_protect(
    *, case_person: CasePerson, actor: User, measures: Iterable[str], note: str = ""
) -> CasePerson:
    """Puts a person of a case under protection (or changes the measures): a pseudonym for
    everyone without a grant, and the identity kept by the actor, who knows it already.
    Protection follows the person into every other case that links them."""
    case = case_person.case
    _require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    if case_person.protected and not identity_visible_to(actor, case_person):
        raise PermissionDenied
    _lock(case)
    first = not case_person.protected
    _protect_one(case_person=case_person, actor=actor, measures=measures, note=note)
    if first:
        _identity_give(
            case_person=case_person,
            user=actor,
            granted_by=actor,
            kind=IdentityGrant.Kind.PROTECTOR,
        )
        _protection_follow(
            person=case_person.person, origin=case_person, actor=actor, newly_protected=True
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
    _require(actor, case, P.GRANT_IDENTITY)
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
    grant = _identity_give(
        case_person=case_person, user=user, granted_by=actor, kind=IdentityGrant.Kind.DECISION
    )
    notification_send(
        user=user,
        title=gettext_lazy("You have been granted a protected identity"),
        url=reverse("cases:person_detail", args=[case.pk, case_person.pk]),
    )
    return grant


@transaction.atomic
def identity_revoke(*, case_person: CasePerson, actor: User, user: User) -> None:
    _require(actor, case_person.case, P.GRANT_IDENTITY)
    remove_perm(f"cases.{P.VIEW_IDENTITY}", user, case_person)
    IdentityGrant.objects.filter(
        case_person=case_person, user=user, revoked_at__isnull=True
    ).update(revoked_by=actor, revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action="person.identity_revoked",
        target=case_person,
        details={"user": user.get_username(), "user_id": user.pk, "case_person": case_person.pk},
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


# --- Notes ------------------------------------------------------------------------------------


@transaction.atomic
def note_add(*, case: Case, actor: User, body: str) -> CaseNote:
    _require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    note = CaseNote.objects.create(case=case, author=actor, body=body)
    CaseNoteRevision.objects.create(note=note, version=1, body=body, edited_by=actor)
    audit_record(actor=actor, action="note.created", target=note)
    return note


@transaction.atomic
def note_edit(*, note: CaseNote, actor: User, body: str) -> CaseNote:
    """A new version of the note; every earlier version stays readable in its history."""
    _require(actor, note.case, P.CONTRIBUTE)
    case_require_open(note.case)
    note = CaseNote.objects.select_for_update().get(pk=note.pk)
    if body == note.body:
        return note
    note.version += 1
    note.body = body
    note.updated_at = timezone.now()
    note.save(update_fields=["version", "body", "updated_at"])
    CaseNoteRevision.objects.create(note=note, version=note.version, body=body, edited_by=actor)
    audit_record(actor=actor, action="note.edited", target=note, details={"version": note.version})
    return note

"""Who may see what in cases, checked against the audit trail.

The access state of cases lives in rows anyone with a SQL prompt could change: team members
(``CaseMember``) and their per-case permissions (guardian's ``CaseUserObjectPermission``),
protection flags (``CasePerson.protected``), identity grants (guardian's
``CasePersonUserObjectPermission`` and ``IdentityGrant``) and break-glass accesses; and
the evidence rows that decide who reads an item's files (``evidence.access_state``). The
services change them only together with an audit row, and the audit trail is append-only and
hash-chained. :func:`access_state_verify` therefore seals the trail, replays its history of
these changes and names every current row the history does not explain, and every audited
state that is missing.

Older audit rows name a user by username (``details["user"]``); newer ones carry ids
(``user_id``, ``case_person``, ``access_id``). Both are read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_seal, audit_verify
from cases import permissions as P
from cases.models import (
    BreakGlassAccess,
    CaseMember,
    CasePerson,
    CasePersonUserObjectPermission,
    CaseUserObjectPermission,
    IdentityGrant,
)

ACTIONS = (
    "case.created",
    "case.member_added",
    "case.member_removed",
    "case.break_glass",
    "person.protected",
    "person.unprotected",
    "person.identity_granted",
    "person.identity_revoked",
)
# An audit row and the break-glass access it opened are written in the same transaction.
BREAK_GLASS_SLACK = timedelta(minutes=1)


@dataclass
class _History:
    """The access state as the audit trail says it should be."""

    # Keys are ids as the trail names them: None where an old row does not say.
    members: dict[tuple[int | None, int | None], tuple[str, int]] = field(default_factory=dict)
    protected: dict[int | None, int] = field(default_factory=dict)  # case person -> audit row
    # (case person, user) -> (who decided, audit row)
    grants: dict[tuple[int | None, int | None], tuple[int | None, int]] = field(
        default_factory=dict
    )
    break_glass: list[AuditEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _user_of(event: AuditEvent, usernames: dict[str, int], history: _History) -> int | None:
    details = event.details or {}
    if isinstance(details.get("user_id"), int):
        return details["user_id"]
    user = usernames.get(details.get("user", ""))
    if user is None:
        history.problems.append(
            f"audit row id={event.pk} ({event.action}) names a user that does not exist: "
            f"{details.get('user')!r}"
        )
    return user


def _case_person_of(event: AuditEvent) -> int | None:
    details = event.details or {}
    if isinstance(details.get("case_person"), int):
        return details["case_person"]
    if event.target_type == "cases.caseperson" and event.target_id.isdigit():
        return int(event.target_id)
    return None


def _case_of(event: AuditEvent) -> int | None:
    if event.case_id is not None:
        return event.case_id
    if event.target_type == "cases.case" and event.target_id.isdigit():
        return int(event.target_id)
    return None


def _replay() -> _History:
    history = _History()
    usernames = dict(User.objects.values_list("username", "pk"))
    case_of_person: dict[int | None, int] = dict(CasePerson.objects.values_list("pk", "case_id"))
    events = AuditEvent.objects.filter(action__in=ACTIONS).order_by("id")
    for event in events.iterator(chunk_size=2000):
        details: dict[str, Any] = event.details or {}
        action = event.action
        if action == "case.created":
            history.members[(_case_of(event), event.actor_id)] = (CaseMember.Role.LEAD, event.pk)
        elif action == "case.member_added":
            user = _user_of(event, usernames, history)
            if user is not None:
                history.members[(_case_of(event), user)] = (details.get("role", ""), event.pk)
        elif action == "case.member_removed":
            user = _user_of(event, usernames, history)
            case = _case_of(event)
            history.members.pop((case, user), None)
            for key in [k for k in history.grants if k[1] == user]:
                if case_of_person.get(key[0]) == case:
                    del history.grants[key]
        elif action == "case.break_glass":
            history.break_glass.append(event)
        elif action == "person.protected":
            case_person = _case_person_of(event)
            if case_person is None:
                continue
            if case_person not in history.protected and "case_person" not in details:
                # Before grants were audited on their own, protecting granted the protector.
                history.grants[(case_person, event.actor_id)] = (event.actor_id, event.pk)
            history.protected.setdefault(case_person, event.pk)
        elif action == "person.unprotected":
            history.protected.pop(_case_person_of(event), None)
        elif action == "person.identity_granted":
            user = _user_of(event, usernames, history)
            if user is not None:
                history.grants[(_case_person_of(event), user)] = (event.actor_id, event.pk)
        elif action == "person.identity_revoked":
            user = _user_of(event, usernames, history)
            history.grants.pop((_case_person_of(event), user), None)
    return history


def _compare_members(history: _History, problems: list[str]) -> None:
    case: int | None
    user: int | None
    current = {}
    for pk, case, user, role in CaseMember.objects.values_list("pk", "case_id", "user_id", "role"):
        current[(case, user)] = role
        audited = history.members.get((case, user))
        if audited is None:
            problems.append(
                f"CaseMember id={pk} (user id={user} on case id={case} as {role}): "
                "no audited addition to the team explains it"
            )
        elif audited[0] != role:
            problems.append(
                f"CaseMember id={pk} (user id={user} on case id={case}) has the role {role}, "
                f"but audit row id={audited[1]} gave the role {audited[0]}"
            )
    for (case, user), (role, event) in sorted(history.members.items(), key=lambda i: i[1][1]):
        if (case, user) not in current:
            problems.append(
                f"missing CaseMember: audit row id={event} put user id={user} on case "
                f"id={case} as {role}, and no audited removal followed"
            )
    expected = {
        (case, user, perm)
        for (case, user), (role, _) in history.members.items()
        for perm in P.ROLE_PERMISSIONS.get(role, ())
    }
    rows = CaseUserObjectPermission.objects.values_list(
        "pk", "content_object_id", "user_id", "permission__codename"
    )
    found = set()
    for pk, case, user, perm in rows:
        found.add((case, user, perm))
        if (case, user, perm) not in expected:
            problems.append(
                f"CaseUserObjectPermission id={pk} ({perm} of user id={user} on case "
                f"id={case}): no audited team role explains it"
            )
    for case, user, perm in sorted(expected - found):
        problems.append(
            f"missing CaseUserObjectPermission: {perm} of user id={user} on case id={case}, "
            "which their audited team role gives"
        )


def _compare_protection(history: _History, problems: list[str]) -> None:
    by_person: dict[int, set[bool]] = defaultdict(set)
    for pk, person, protected in CasePerson.objects.values_list("pk", "person_id", "protected"):
        by_person[person].add(protected)
        if protected and pk not in history.protected:
            problems.append(
                f"CasePerson id={pk} is protected, but no audited protection explains it"
            )
        elif not protected and pk in history.protected:
            problems.append(
                f"CasePerson id={pk} is not protected, but audit row "
                f"id={history.protected[pk]} protected it and no audited change lifted it"
            )
    for person, states in sorted(by_person.items()):
        if len(states) > 1:
            problems.append(
                f"Person id={person} is protected in some cases and not in others "
                "(protection follows the person)"
            )


def _compare_grants(history: _History, problems: list[str]) -> None:
    case_person: int | None
    user: int | None
    rows = CasePersonUserObjectPermission.objects.filter(
        permission__codename=P.VIEW_IDENTITY
    ).values_list("pk", "content_object_id", "user_id")
    found = set()
    for pk, case_person, user in rows:
        found.add((case_person, user))
        if (case_person, user) not in history.grants:
            problems.append(
                f"CasePersonUserObjectPermission id={pk} (view_identity of user id={user} on "
                f"case person id={case_person}): no audited grant explains it"
            )
    live = IdentityGrant.objects.filter(revoked_at__isnull=True).values_list(
        "pk", "case_person_id", "user_id", "granted_by_id", "kind"
    )
    recorded = set()
    for pk, case_person, user, granted_by, kind in live:
        recorded.add((case_person, user))
        audited = history.grants.get((case_person, user))
        if audited is None:
            problems.append(
                f"IdentityGrant id={pk} (user id={user} on case person id={case_person}): "
                "no audited grant explains it"
            )
        elif kind != IdentityGrant.Kind.LEGACY and audited[0] != granted_by:
            problems.append(
                f"IdentityGrant id={pk} says user id={granted_by} decided it, but audit row "
                f"id={audited[1]} says user id={audited[0]}"
            )
    for (case_person, user), (_, event) in sorted(history.grants.items(), key=lambda i: i[1][1]):
        if (case_person, user) not in found:
            problems.append(
                f"missing view_identity of user id={user} on case person id={case_person}: "
                f"audit row id={event} granted it and no audited revocation followed"
            )
        if (case_person, user) not in recorded:
            problems.append(
                f"missing IdentityGrant of user id={user} on case person id={case_person}: "
                f"audit row id={event} granted it and no audited revocation followed"
            )


def _compare_break_glass(history: _History, problems: list[str]) -> None:
    accesses = {a.pk: a for a in BreakGlassAccess.objects.all()}
    unmatched: list[AuditEvent] = []
    explained: set[int] = set()
    for event in history.break_glass:
        access_id = (event.details or {}).get("access_id")
        if isinstance(access_id, int):
            access = accesses.get(access_id)
            if access is None:
                problems.append(
                    f"missing BreakGlassAccess id={access_id}, opened by audit row id={event.pk}"
                )
                continue
            explained.add(access_id)
            if (access.case_id, access.user_id) != (_case_of(event), event.actor_id) or (
                access.expires_at - access.created_at
                != timedelta(hours=event.details.get("hours", 0))
            ):
                problems.append(
                    f"BreakGlassAccess id={access_id} does not match audit row id={event.pk} "
                    "(case, user or duration changed)"
                )
        else:
            unmatched.append(event)
    for event in unmatched:  # older rows: matched on case, user, duration and time
        hours = timedelta(hours=event.details.get("hours", 0))
        match = next(
            (
                a
                for a in accesses.values()
                if a.pk not in explained
                and (a.case_id, a.user_id) == (_case_of(event), event.actor_id)
                and a.expires_at - a.created_at == hours
                and abs(a.created_at - event.created_at) <= BREAK_GLASS_SLACK
            ),
            None,
        )
        if match is None:
            problems.append(f"missing BreakGlassAccess opened by audit row id={event.pk}")
        else:
            explained.add(match.pk)
    for pk in sorted(set(accesses) - explained):
        access = accesses[pk]
        problems.append(
            f"BreakGlassAccess id={pk} (user id={access.user_id} on case id={access.case_id}): "
            "no audited break-glass explains it"
        )


def access_state_verify(*, seal: bool = True) -> list[str]:
    """Seals the audit trail, replays its history of team membership, case permissions,
    protection, identity grants and break-glass accesses, and of the evidence rows that
    decide who reads a file (``evidence.access_state``: source person, ``identifies``,
    classification, approved redactions) and of who receives a package
    (``partners.packages.access_state``: named recipients, disclosures, declassification),
    and returns one line for every current row that history does not explain and every
    audited state that is missing (an empty list when everything matches)."""
    if seal:
        audit_seal()
    problems: list[str] = []
    chain = audit_verify()
    if not chain.ok:
        problems.append(
            f"the audit chain is broken at row id={chain.broken_id} "
            f"(chain position {chain.broken_seq}): {chain.reason}"
        )
    history = _replay()
    problems += history.problems
    _compare_members(history, problems)
    _compare_protection(history, problems)
    _compare_grants(history, problems)
    _compare_break_glass(history, problems)
    # Evidence sits above cases: imported here, so that cases does not depend on it at import.
    from evidence.access_state import evidence_access_state_verify

    problems += evidence_access_state_verify()
    from partners.packages.access_state import package_access_state_verify

    problems += package_access_state_verify()
    return problems

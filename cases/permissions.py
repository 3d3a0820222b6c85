"""What each case role may do, and which workflow steps each role may take."""

from __future__ import annotations

from cases.models import Case, CaseMember

Role = CaseMember.Role
Status = Case.Status

VIEW = "view_case"
CHANGE = "change_case"
CONTRIBUTE = "contribute_to_case"
CHANGE_STATUS = "change_case_status"
MANAGE_TEAM = "manage_case_team"
GRANT_IDENTITY = "grant_identity"
VIEW_IDENTITY = "view_identity"

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.LEAD: (VIEW, CHANGE, CONTRIBUTE, CHANGE_STATUS, MANAGE_TEAM, GRANT_IDENTITY),
    Role.INVESTIGATOR: (VIEW, CONTRIBUTE, CHANGE_STATUS),
    Role.ANALYST: (VIEW,),
}
ALL_CASE_PERMISSIONS = frozenset(p for perms in ROLE_PERMISSIONS.values() for p in perms)

# (from, to) -> the case roles that may take that step.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (Status.INTAKE, Status.PRELIMINARY): frozenset({Role.LEAD, Role.INVESTIGATOR}),
    (Status.INTAKE, Status.CLOSED): frozenset({Role.LEAD}),
    (Status.PRELIMINARY, Status.ACTIVE): frozenset({Role.LEAD}),
    (Status.PRELIMINARY, Status.CLOSED): frozenset({Role.LEAD}),
    (Status.ACTIVE, Status.SUSPENDED): frozenset({Role.LEAD}),
    (Status.ACTIVE, Status.REFERRED): frozenset({Role.LEAD}),
    (Status.ACTIVE, Status.CLOSED): frozenset({Role.LEAD}),
    (Status.SUSPENDED, Status.ACTIVE): frozenset({Role.LEAD}),
    (Status.SUSPENDED, Status.CLOSED): frozenset({Role.LEAD}),
    (Status.REFERRED, Status.ACTIVE): frozenset({Role.LEAD}),
    (Status.REFERRED, Status.CLOSED): frozenset({Role.LEAD}),
    (Status.CLOSED, Status.ACTIVE): frozenset({Role.LEAD}),
    (Status.CLOSED, Status.ARCHIVED): frozenset({Role.LEAD}),
    # Reopening an archived case (it is frozen like a closed one until then).
    (Status.ARCHIVED, Status.ACTIVE): frozenset({Role.LEAD}),
}


def next_statuses(current: str, role: str | None) -> list[str]:
    """The statuses a member with ``role`` may move a case to from ``current``."""
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == current and role in roles]

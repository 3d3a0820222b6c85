"""Writes about cases, one module per subject: ``cases`` (opening, editing, the workflow,
recording a read), ``team`` (members, break-glass), ``incidents``, ``persons`` (a case's
persons and the shared registry), ``protection`` (pseudonyms, protection following the person,
identity grants) and ``notes``; ``common`` holds what they share. Each service checks what the
actor may do, owns its transaction and writes its audit row in it. The names below are the
case services' API for the rest of the code."""

from cases.services.cases import (
    CASE_FIELDS,
    case_create,
    case_read_record,
    case_transition,
    case_update,
)
from cases.services.incidents import INCIDENT_FIELDS, incident_create, incident_update
from cases.services.notes import note_add, note_edit
from cases.services.persons import (
    PERSON_FIELDS,
    case_person_add,
    case_person_update,
    person_editable_by,
    person_home_case,
    person_identity_known_to,
    person_is_protected,
)
from cases.services.protection import (
    PSEUDONYM_PREFIX,
    case_person_protect,
    identity_grant,
    identity_holders,
    identity_revoke,
    identity_visible_to,
)
from cases.services.team import (
    BREAK_GLASS_MAX_HOURS,
    TEAM_ROLE_REQUIRES,
    break_glass_open,
    case_member_add,
    case_member_remove,
)

__all__ = [
    "BREAK_GLASS_MAX_HOURS",
    "CASE_FIELDS",
    "INCIDENT_FIELDS",
    "PERSON_FIELDS",
    "PSEUDONYM_PREFIX",
    "TEAM_ROLE_REQUIRES",
    "break_glass_open",
    "case_create",
    "case_member_add",
    "case_member_remove",
    "case_person_add",
    "case_person_protect",
    "case_person_update",
    "case_read_record",
    "case_transition",
    "case_update",
    "identity_grant",
    "identity_holders",
    "identity_revoke",
    "identity_visible_to",
    "incident_create",
    "incident_update",
    "note_add",
    "note_edit",
    "person_editable_by",
    "person_home_case",
    "person_identity_known_to",
    "person_is_protected",
]

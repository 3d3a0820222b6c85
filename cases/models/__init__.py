from cases.models.case import (
    BreakGlassAccess,
    Case,
    CaseGroupObjectPermission,
    CaseMember,
    CaseNote,
    CaseNoteRevision,
    CaseReferenceCounter,
    CaseUserObjectPermission,
    StatusChange,
)
from cases.models.crime import Crime, ModeOfLiability
from cases.models.incident import Incident
from cases.models.person import (
    CasePerson,
    CasePersonGroupObjectPermission,
    CasePersonUserObjectPermission,
    IdentityGrant,
    Person,
    PersonName,
    ProtectiveMeasure,
)

__all__ = [
    "BreakGlassAccess",
    "Case",
    "CaseGroupObjectPermission",
    "CaseMember",
    "CaseNote",
    "CaseNoteRevision",
    "CasePerson",
    "CasePersonGroupObjectPermission",
    "CasePersonUserObjectPermission",
    "CaseReferenceCounter",
    "CaseUserObjectPermission",
    "Crime",
    "IdentityGrant",
    "Incident",
    "ModeOfLiability",
    "Person",
    "PersonName",
    "ProtectiveMeasure",
    "StatusChange",
]

"""Persons of a case and the shared registry of persons they link to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import Case, CasePerson, CasePersonUserObjectPermission, Person, PersonName
from cases.selectors import case_permissions
from cases.services.common import case_lock, changed_fields, require
from cases.services.protection import (
    case_person_protect,
    identity_visible_to,
    protect_one,
    protection_follow,
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
    require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    case = case_lock(case)
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
        protect_one(case_person=case_person, actor=actor, measures=measures, follows=origin)
        protection_follow(person=person, origin=case_person, actor=actor)
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
    require(actor, case_person.case, P.CONTRIBUTE)
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
    changed = changed_fields(person, person_data, PERSON_FIELDS)
    if changed:
        person.full_clean()
        person.save()
    if names is not None and {n for n in names if n[0].strip()} != _names_of(person):
        PersonName.objects.filter(person=person).delete()
        for name, kind, script in names:
            if name.strip():
                PersonName.objects.create(person=person, name=name, kind=kind, script=script)
        changed.append("names")
    changed += changed_fields(case_person, {"role": role, "notes": notes}, ("role", "notes"))
    case_person.save()
    audit_record(
        actor=actor,
        action="person.updated",
        target=case_person,
        details={"fields": changed},
    )
    return case_person

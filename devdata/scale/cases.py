"""The cases of the scale data: incidents, persons (some protected, with pseudonyms), teams with
guardian's per-object permissions, status history and audit rows, as the services write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings

from cases import permissions as P
from cases.models import (
    Case,
    CaseMember,
    CasePerson,
    CasePersonUserObjectPermission,
    CaseUserObjectPermission,
    Crime,
    Incident,
    Person,
    ProtectiveMeasure,
    StatusChange,
)
from cases.models.case import CASE_OPENED
from cases.search import search_document
from cases.services import PSEUDONYM_PREFIX
from devdata.scale.users import Team
from devdata.scale.words import EVENTS, FAMILY, GIVEN, PLACES, PROTECTABLE, SITUATIONS

if TYPE_CHECKING:
    from devdata.scale.rows import Batch


def case_add(
    batch: Batch,
    *,
    pk: int,
    year: int,
    number: int,
    team: Team,
    named: list[int],
    crimes: dict[int, str],
    perm_ids: dict[str, int],
    long_chain_for: str | None,
) -> None:
    rng = batch.rng
    place, country, area = rng.choice(PLACES)
    reference = f"{settings.CUSTOS_CASE_PREFIX}-{year}-{number:04d}"
    start_of_year = datetime(year, 1, 1, tzinfo=UTC)
    span = min(364 * 86400, int((batch.now - start_of_year).total_seconds()) - 86400)
    opened = start_of_year + timedelta(
        seconds=rng.randrange(max(span, 1)), microseconds=rng.randrange(1_000_000)
    )
    title = f"{rng.choice(EVENTS)} {place}"
    summary = (
        f"Reports of {title.lower()} in {area} ({year}); "
        f"{rng.randint(3, 400)} people reported affected."
    )
    period_start = opened.date() - timedelta(days=rng.randint(30, 900))
    period_end = period_start + timedelta(days=rng.randint(1, 300)) if rng.random() < 0.7 else None
    status = rng.choices([s.value for s in Case.Status], weights=[10, 15, 40, 5, 10, 15, 5], k=1)[0]
    classification = rng.choices([0, 1, 2, 3], weights=[10, 50, 30, 10], k=1)[0]
    lead = rng.choice(team.leads)
    investigators = rng.sample(team.investigators, rng.randint(1, 2))
    analysts = rng.sample(team.analysts, 1) if rng.random() < 0.5 else []
    members = (
        [(lead, CaseMember.Role.LEAD)]
        + [(u, CaseMember.Role.INVESTIGATOR) for u in investigators + named if u != lead]
        + [(u, CaseMember.Role.ANALYST) for u in analysts]
    )
    custodians = [lead, *investigators, *named]

    # Incidents.
    # With their start dates: the product lists a case's incidents by (date_start, id).
    incident_texts: list[tuple[date, tuple[str, str, str, str]]] = []
    crime_ids = list(crimes)
    alleged: set[str] = set()
    for _ in range(rng.randint(1, 3)):
        i_place, i_country, i_area = (
            (place, country, area) if rng.random() < 0.7 else rng.choice(PLACES)
        )
        start = period_start + timedelta(days=rng.randint(0, 29))
        i_title = f"{rng.choice(EVENTS)} {i_place}"
        description = f"Incident reported by witnesses in {i_place}."
        incident_id = len(batch.rows[Incident]) + 1  # replaced by a real id in flush()
        batch.add(
            Incident,
            {
                "id": incident_id,
                "case_id": pk,
                "title": i_title,
                "description": description,
                "date_start": start,
                "date_precision": Incident.Precision.DAY,
                "place_name": i_place,
                "country": i_country,
                "admin_area": i_area,
                "latitude": round(rng.uniform(-40, 50), 6),
                "longitude": round(rng.uniform(-20, 70), 6),
                "estimated_victims": rng.randint(1, 300),
                "created_by_id": lead,
                "created_at": opened,
                "updated_at": opened,
            },
        )
        crime = rng.choice(crime_ids)
        alleged.add(crimes[crime])
        batch.add(Incident.crimes.through, {"incident_id": incident_id, "crime_id": crime})
        incident_texts.append((start, (i_title, description, i_place, i_area)))

    # Persons: a suspect and a few victims and witnesses, some protected.
    # With their roles: the product lists a case's persons by (role, id).
    pseudonyms: list[tuple[str, str]] = []
    person_ids: list[int] = []
    used_numbers: dict[str, int] = {}
    for k in range(rng.randint(1, 5)):
        role = CasePerson.Role.SUSPECT if k == 0 else rng.choice(PROTECTABLE)
        protected = role in PROTECTABLE and rng.random() < 0.5
        pseudonym = ""
        if protected:
            prefix = PSEUDONYM_PREFIX[role]  # as the services number them
            used_numbers[prefix] = used_numbers.get(prefix, 0) + 1
            pseudonym = f"{prefix}-{used_numbers[prefix]:04d}"
            pseudonyms.append((role, pseudonym))
        person_id = len(batch.rows[Person]) + 1
        batch.add(
            Person,
            {
                "id": person_id,
                "full_name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                "birth_year": rng.randint(1940, 2010),
                "gender": rng.choice(["female", "male", "unknown"]),
                "nationality": country,
                "affiliation": "Armed group" if role == CasePerson.Role.SUSPECT else "",
                "created_by_id": lead,
                "created_at": opened,
                "updated_at": opened,
            },
        )
        case_person_id = len(batch.rows[CasePerson]) + 1
        person_ids.append(case_person_id)
        batch.add(
            CasePerson,
            {
                "id": case_person_id,
                "case_id": pk,
                "person_id": person_id,
                "role": role,
                "protected": protected,
                "pseudonym": pseudonym,
                "created_by_id": lead,
                "created_at": opened,
            },
        )
        if protected:
            batch.add(
                ProtectiveMeasure,
                {
                    "case_person_id": case_person_id,
                    "kind": ProtectiveMeasure.Kind.IDENTITY_NON_DISCLOSURE,
                    "created_by_id": lead,
                    "created_at": opened,
                },
            )
            # The lead who protected them holds the identity, as person_protect grants.
            batch.add(
                CasePersonUserObjectPermission,
                {
                    "user_id": lead,
                    "permission_id": perm_ids[P.VIEW_IDENTITY],
                    "content_object_id": case_person_id,
                },
            )

    # The case row, its crimes, team, permissions and history.
    case_crimes = rng.sample(crime_ids, rng.randint(1, 2))
    alleged.update(crimes[crime] for crime in case_crimes)
    document = search_document(  # the product's own function, as case services store it
        reference=reference,
        title=title,
        summary=summary,
        situation=SITUATIONS[country],
        incidents=[texts for _, texts in sorted(incident_texts, key=lambda pair: pair[0])],
        pseudonyms=[name for _, name in sorted(pseudonyms, key=lambda pair: pair[0])],
    )
    batch.add(
        Case,
        {
            "id": pk,
            "reference": reference,
            "year": year,
            "number": number,
            "title": title,
            "summary": summary,
            "situation": SITUATIONS[country],
            "countries": country,
            "period_start": period_start,
            "period_end": period_end,
            "classification": classification,
            "sgbv": "Sexual" in title,
            "priority": rng.choice([p.value for p in Case.Priority]),
            "referral_source": "NGO report",
            "status": status,
            "search_document": document,
            **{
                Case.crime_category_flag(c): c in alleged
                for c in Crime.Category  # the flags as cases.services sets them
            },
            "created_by_id": lead,
            "created_at": opened,
            "updated_at": opened,
        },
    )
    for crime in case_crimes:
        batch.add(Case.crimes.through, {"case_id": pk, "crime_id": crime})
    batch.audit_row(
        created_at=opened,
        actor_id=lead,
        actor_username="",
        action="case.created",
        target_type="cases.case",
        target_id=str(pk),
        target_label=reference,
        case_id=pk,
        details={},
    )
    for user, member_role in members:
        batch.add(
            CaseMember,
            {
                "case_id": pk,
                "user_id": user,
                "role": member_role,
                "added_by_id": lead,
                "added_at": opened,
            },
        )
        for perm in P.ROLE_PERMISSIONS[member_role]:
            batch.add(
                CaseUserObjectPermission,
                {"user_id": user, "permission_id": perm_ids[perm], "content_object_id": pk},
            )
        if user != lead:
            batch.audit_row(
                created_at=opened,
                actor_id=lead,
                actor_username="",
                action="case.member_added",
                target_type="cases.casemember",
                target_id="",
                target_label=f"({member_role})",
                case_id=pk,
                details={"role": member_role, "user_id": user},
            )
    batch.add(
        StatusChange,
        {
            "case_id": pk,
            "from_status": "",
            "to_status": Case.Status.INTAKE,
            "reason": CASE_OPENED,
            "actor_id": lead,
            "created_at": opened,
        },
    )
    if status != Case.Status.INTAKE:
        batch.add(
            StatusChange,
            {
                "case_id": pk,
                "from_status": Case.Status.INTAKE,
                "to_status": status,
                "reason": "Assessment completed",
                "actor_id": lead,
                "created_at": opened + timedelta(days=7),
            },
        )

    # Evidence and custody.
    batch.pending_cases.append(
        {
            "case_id": pk,
            "reference": reference,
            "opened": opened,
            "place": place,
            "custodians": custodians,
            "persons": person_ids,
            "long_chain_for": long_chain_for,
        }
    )

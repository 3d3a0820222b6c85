"""Demo cases for the embedded default: clearly fictional, in fictional countries, with
incidents, persons (some protected) and teams, so that `make run` shows a living system."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from accounts.models import Clearance, User
from cases import services
from cases.models import Case, CasePerson, Crime

DEMO_MARK = "Demo data (fictional)"

CASES: list[dict[str, Any]] = [
    {
        "title": "[DEMO] Shelling of Eastbrook market",
        "summary": (
            "Fictional case. Artillery fire struck the covered market of Eastbrook on a "
            "market day; civilians were killed and wounded. No military objective is known "
            "near the market."
        ),
        "situation": "Fictional armed conflict between Northmarch and Southvale",
        "countries": ["XN"],
        "period_start": date(2024, 3, 1),
        "period_end": date(2024, 5, 31),
        "classification": Clearance.CONFIDENTIAL,
        "priority": Case.Priority.HIGH,
        "sgbv": False,
        "status_path": ["preliminary_assessment", "active_investigation"],
        "crimes": ["ART8_2_B_I", "ART8_2_B_IV"],
        "incidents": [
            {
                "title": "Market hit by artillery at midday",
                "description": "Several rounds hit the market hall between 12:05 and 12:20.",
                "date_start": date(2024, 4, 2),
                "date_precision": "day",
                "place_name": "Eastbrook covered market",
                "country": "XN",
                "admin_area": "Eastbrook district",
                "latitude": "48.512300",
                "longitude": "35.041100",
                "estimated_victims": 41,
                "crimes": ["ART8_2_B_I"],
            },
            {
                "title": "Second strike on the bus station",
                "description": "A further strike hit the bus station used to evacuate the wounded.",
                "date_start": date(2024, 4, 2),
                "date_precision": "approximate",
                "place_name": "Eastbrook bus station",
                "country": "XN",
                "estimated_victims": 9,
                "crimes": ["ART8_2_B_I"],
            },
        ],
        "persons": [
            {
                "full_name": "Col. Aric Demo-Valen",
                "role": "suspect",
                "affiliation": "Southvale Armed Forces",
                "unit": "12th Artillery Brigade",
                "rank": "Colonel",
                "gender": "male",
            },
            {
                "full_name": "Mira Demo-Halden",
                "role": "witness",
                "gender": "female",
                "protect": True,
                "measures": ["identity_non_disclosure", "voice_distortion"],
            },
            {"full_name": "Tomas Demo-Rek", "role": "victim", "gender": "male"},
            {
                "full_name": "Dr. Lena Demo-Ortiz",
                "role": "expert",
                "gender": "female",
                "affiliation": "Forensic ballistics institute (fictional)",
            },
        ],
        "team": [("investigator", "investigator"), ("analyst", "analyst")],
        "notes": ["Ballistics report requested from the fictional institute."],
    },
    {
        "title": "[DEMO] Detention and ill-treatment at the Greyfort camp",
        "summary": (
            "Fictional case. Former detainees describe torture and sexual violence at a "
            "detention camp run by a militia."
        ),
        "situation": "Fictional armed conflict between Northmarch and Southvale",
        "countries": ["XS", "XN"],
        "period_start": date(2023, 9, 1),
        "period_end": date(2024, 2, 28),
        "classification": Clearance.CONFIDENTIAL,
        "priority": Case.Priority.URGENT,
        "sgbv": True,
        "status_path": ["preliminary_assessment"],
        "crimes": ["ART7_1_F", "ART7_1_G_1", "ART8_2_C_I_4"],
        "incidents": [
            {
                "title": "Interrogations with beatings",
                "description": "Detainees were beaten during night interrogations.",
                "date_start": date(2023, 10, 1),
                "date_end": date(2024, 1, 31),
                "date_precision": "month",
                "place_name": "Greyfort camp",
                "country": "XS",
                "estimated_victims": 120,
                "crimes": ["ART7_1_F"],
            },
        ],
        "persons": [
            {
                "full_name": "Bren Demo-Kasar",
                "role": "suspect",
                "affiliation": "Greyfort militia",
                "rank": "Camp commander",
                "gender": "male",
            },
            {
                "full_name": "Ana Demo-Sorel",
                "role": "victim_witness",
                "gender": "female",
                "protect": True,
                "measures": ["identity_non_disclosure", "face_distortion", "closed_session"],
            },
            {
                "full_name": "Yusuf Demo-Aram",
                "role": "insider_witness",
                "gender": "male",
                "protect": True,
                "measures": ["identity_non_disclosure", "relocation"],
            },
        ],
        "team": [("investigator", "investigator")],
        "notes": ["Psychological support arranged before any further interview."],
    },
    {
        "title": "[DEMO] Forced displacement from the river villages",
        "summary": "Fictional case. Villagers were ordered to leave and their houses burned.",
        "situation": "Fictional armed conflict between Northmarch and Southvale",
        "countries": ["XS"],
        "period_start": date(2022, 6, 1),
        "period_end": date(2022, 8, 31),
        "classification": Clearance.RESTRICTED,
        "priority": Case.Priority.NORMAL,
        "sgbv": False,
        "status_path": [],
        "crimes": ["ART7_1_D"],
        "incidents": [
            {
                "title": "Villages ordered to leave within a day",
                "description": "Loudspeaker orders; houses set on fire after departure.",
                "date_start": date(2022, 7, 1),
                "date_precision": "month",
                "place_name": "Lower river villages",
                "country": "XS",
                "estimated_victims": 800,
                "crimes": ["ART7_1_D"],
            },
        ],
        "persons": [
            {"full_name": "Petra Demo-Lind", "role": "witness", "gender": "female"},
        ],
        "team": [("analyst", "analyst")],
        "notes": [],
    },
]


@transaction.atomic
def demo_cases_seed() -> int:
    """Creates the demo cases that do not exist yet; returns how many it created."""
    users = {
        u.username: u for u in User.objects.filter(username__in=["lead", "investigator", "analyst"])
    }
    lead = users["lead"]
    crimes = {c.code: c for c in Crime.objects.all()}
    created = 0
    for spec in CASES:
        if Case.objects.filter(title=spec["title"], referral_source=DEMO_MARK).exists():
            continue
        fields = {k: spec[k] for k in services.CASE_FIELDS if k in spec}
        case = services.case_create(
            actor=lead,
            referral_source=DEMO_MARK,
            crimes=[crimes[c] for c in spec["crimes"] if c in crimes],
            **fields,
        )
        for username, role in spec["team"]:
            services.case_member_add(case=case, actor=lead, user=users[username], role=role)
        for incident in spec["incidents"]:
            data = {k: v for k, v in incident.items() if k != "crimes"}
            services.incident_create(
                case=case,
                actor=lead,
                crimes=[crimes[c] for c in incident["crimes"] if c in crimes],
                **data,
            )
        for person in spec["persons"]:
            data = {k: v for k, v in person.items() if k not in ("role", "protect", "measures")}
            services.case_person_add(
                case=case,
                actor=lead,
                role=CasePerson.Role(person["role"]),
                protect=person.get("protect", False),
                measures=person.get("measures", ()),
                **data,
            )
        for body in spec["notes"]:
            services.note_add(case=case, actor=lead, body=body)
        for status in spec["status_path"]:
            services.case_transition(
                case=case, actor=lead, to_status=status, reason="Demo: assessment completed."
            )
        created += 1
    return created

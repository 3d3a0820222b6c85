"""Demo partners: one of each kind (fictional), contacts, agreements (one about to expire),
the demo liaison's membership, and a case shared with the tribunal."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from devdata.demo.cases import DEMO_MARK
from partners import services
from partners.models import (
    Agreement,
    Network,
    PartnerMembership,
    PartnerOrganisation,
)

NETWORK = "Network of Contact Points for genocide, crimes against humanity and war crimes (demo)"
PARTNERS = [
    ("Northmarch Residual Tribunal (fictional)", "NRT", "tribunal", "XN", "English, French"),
    ("Southvale War Crimes Unit (fictional)", "SWCU", "national_unit", "XS", "English"),
    ("Office of the Prosecutor of Southvale (fictional)", "OPS", "prosecution", "XS", "English"),
    ("Institute of Forensic Justice (fictional)", "IFJ", "justice", "NL", "English, Dutch"),
    (
        "International Missing Persons Agency (fictional)",
        "IMPA",
        "international_organisation",
        "",
        "English, Arabic",
    ),
    ("Contact Point of Northmarch (fictional)", "CPN", "contact_point", "XN", "English"),
    ("Documentation Centre for Justice (fictional NGO)", "DCJ", "ngo", "XS", "Arabic, English"),
]


@transaction.atomic
def demo_partners_seed() -> int:
    """Creates the demo partners once; returns how many organisations it created."""
    if PartnerOrganisation.objects.filter(acronym="NRT").exists():
        return 0
    admin = User.objects.get(username="admin")
    lead = User.objects.get(username="lead")
    today = timezone.localdate()
    network, _ = Network.objects.get_or_create(name=NETWORK)
    created = []
    for name, acronym, kind, country, languages in PARTNERS:
        org = services.organisation_save(
            actor=admin,
            name=name,
            acronym=acronym,
            kind=kind,
            country=country,
            languages=languages,
            status="active",
            networks=[network] if kind in ("contact_point", "national_unit") else [],
        )
        services.contact_add(
            actor=admin,
            organisation=org,
            name=f"Registry officer of {acronym}",
            function="Registry officer",
            email=f"registry@{acronym.lower()}.invalid",
            languages=languages,
            is_contact_point=kind == "contact_point",
        )
        services.agreement_add(
            actor=admin,
            organisation=org,
            kind="mou",
            title=f"Memorandum with {acronym}",
            signed_on=today - timedelta(days=700),
            valid_from=today - timedelta(days=700),
            # One agreement runs out soon, so the unit admin's dashboard flags it.
            valid_until=today + timedelta(days=25 if acronym == "SWCU" else 700),
            scope="Exchange of information and evidence in fictional demo cases.",
        )
        created.append(org)
    tribunal = created[0]
    liaison = User.objects.filter(username="liaison").first()
    if liaison is not None:
        PartnerMembership.objects.get_or_create(user=liaison, defaults={"organisation": tribunal})
    market = Case.objects.filter(title__contains="Eastbrook", referral_source=DEMO_MARK).first()
    if market is not None:
        services.share_create(
            case=market,
            actor=lead,
            organisation=tribunal,
            agreement=Agreement.objects.get(organisation=tribunal),
            legal_basis_note="Request for assistance NRT/RFA/2026/003 (fictional)",
            level="packages",
            expires_on=today + timedelta(days=180),
        )
    return len(created)

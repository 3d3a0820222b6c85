"""Demo proof matrix for the embedded default: an allegation on the fictional Eastbrook market
case, with evidence linked to some elements (strong, moderate, contradicting) and visible gaps."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from cases.models import Case, CasePerson, Crime, ModeOfLiability
from devdata.demo.cases import DEMO_MARK
from evidence.models import EvidenceItem, EvidenceLink
from evidence.proof import services as proof

Assessment = EvidenceLink.Assessment

# (description of the demo item, element index, assessment, locator, relevance)
LINKS = [
    (
        "Photograph of the crater in the market hall",
        1,
        Assessment.STRONG,
        "",
        "The crater is inside the covered market, among the stalls: the civilians in the "
        "market were where the rounds fell.",
    ),
    (
        "Fragment of an artillery shell casing",
        0,
        Assessment.MODERATE,
        "Markings on the base",
        "Artillery calibre consistent with the 12th Artillery Brigade's guns: an attack was "
        "directed, by whom remains to be shown.",
    ),
    (
        "Radio intercept (fictional test tone)",
        2,
        Assessment.CONTRADICTING,
        "00:00:12-00:00:40",
        "The intercepted order names a fuel depot near the market as the target: it may "
        "rebut the intent to target civilians and must be disclosed.",
    ),
]


@transaction.atomic
def demo_proof_seed() -> int:
    """Adds an allegation with links to the demo market case once; returns how many
    allegations it created (0 when the case, its evidence or an allegation already exist)."""
    case = Case.objects.filter(title__contains="Eastbrook", referral_source=DEMO_MARK).first()
    if case is None or case.allegations.exists() or not case.evidence.exists():
        return 0
    lead = User.objects.get(username="lead")
    suspect = case.persons.filter(role=CasePerson.Role.SUSPECT).order_by("id").first()
    crime = Crime.objects.filter(code="ART8_2_B_I").first()
    mode = ModeOfLiability.objects.filter(article="25(3)(b)").first()
    if suspect is None or crime is None or mode is None:
        return 0
    allegation = proof.allegation_create(
        case=case,
        actor=lead,
        suspect=suspect,
        crime=crime,
        modes=[mode],
        incidents=case.incidents.all(),
    )
    items = {item.description: item for item in EvidenceItem.objects.filter(case=case)}
    for description, index, assessment, locator, relevance in LINKS:
        item = items.get(description)
        if item is not None:
            proof.link_create(
                allegation=allegation,
                item=item,
                actor=lead,
                element_index=index,
                assessment=assessment,
                locator=locator,
                relevance=relevance,
            )
    # Elements 4-5 (the armed conflict) and the mode of liability are left as gaps.
    return 1

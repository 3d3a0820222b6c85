"""The item side of the proof matrix: ``{% proof_links item as links %}`` lists the elements an
evidence item is linked to, with the suspect as the viewing user may see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from audit.services import audit_identities_shown
from cases.selectors import PersonRow, person_rows
from evidence.models import Allegation, EvidenceItem, EvidenceLink
from evidence.proof.selectors import links_of_item

register = template.Library()


@dataclass(frozen=True)
class ItemProofLink:
    link: EvidenceLink
    allegation: Allegation
    suspect: PersonRow | None


@register.simple_tag(takes_context=True)
def proof_links(context: dict[str, Any], item: EvidenceItem) -> list[ItemProofLink]:
    """The current links of ``item``. A protected suspect is shown by pseudonym unless the user
    holds the identity; showing an identity is audited, as on every other page."""
    links = list(links_of_item(item))
    if not links:
        return []
    user = context["request"].user
    rows = {row.case_person.pk: row for row in person_rows(user, item.case)}
    result = [
        ItemProofLink(link, link.allegation, rows.get(link.allegation.suspect_id)) for link in links
    ]
    shown = {entry.suspect.case_person.pk: entry.suspect for entry in result if entry.suspect}
    audit_identities_shown(actor=user, shown=shown.values(), via="proof links of an item")
    return result

"""Reads of the crime browser. Crimes are public legal text: every logged-in user reads them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from cases.models import Crime, ModeOfLiability


@dataclass(frozen=True)
class CrimeGroup:
    category: str
    label: str
    crimes: list[Crime]


def crimes_for_browser(category: str | None = None, query: str | None = None) -> QuerySet[Crime]:
    """Crimes in file order, optionally of one category and matching ``query`` (every word
    in the title, the article or the statute text)."""
    crimes = Crime.objects.all()
    if category:
        crimes = crimes.filter(category=category)
    for word in (query or "").split():
        crimes = crimes.filter(
            Q(title__icontains=word) | Q(article__icontains=word) | Q(statute_text__icontains=word)
        )
    return crimes.order_by("position")


def crimes_grouped(crimes: QuerySet[Crime]) -> list[CrimeGroup]:
    """``crimes`` by category, in the Statute's order (arts. 6, 7, 8); empty groups left out."""
    by_category: dict[str, list[Crime]] = {value: [] for value in Crime.Category.values}
    for crime in crimes:
        by_category[crime.category].append(crime)
    return [
        CrimeGroup(category=value, label=str(label), crimes=by_category[value])
        for value, label in Crime.Category.choices
        if by_category[value]
    ]


def crime_get(*, code: str) -> Crime:
    """The crime with ``code``; 404 when there is none."""
    crime = Crime.objects.filter(code=code).first()
    if crime is None:
        raise Http404
    return crime


def modes_of_liability() -> QuerySet[ModeOfLiability]:
    return ModeOfLiability.objects.order_by("position")

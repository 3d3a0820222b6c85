"""Reads of the proof matrix: which element of which crime each piece of evidence proves,
against whom, and what is still missing. The matrices are plain data structures built with a
constant number of queries, whatever the number of links."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from cases import permissions as P
from cases.models import Case, Incident, ModeOfLiability
from cases.selectors import CaseAccess, person_rows
from evidence.models import Allegation, EvidenceItem, EvidenceLink
from evidence.selectors import load_with_case_access

Assessment = EvidenceLink.Assessment

# --- The contextual rule ---------------------------------------------------------------------

CONTEXT_MARKERS = (
    "in the context of",
    "widespread or systematic attack",
    "armed conflict",
    "manifest pattern",
)


def is_contextual(element: str) -> bool:
    """Whether an element of a crime describes its context rather than the conduct: the
    armed conflict of a war crime (and the perpetrator's awareness of it), the widespread or
    systematic attack of a crime against humanity, the manifest pattern of genocide.

    The Elements of Crimes word these the same way throughout, so the rule is textual: an
    element is contextual when it contains one of ``CONTEXT_MARKERS`` (case-insensitive).
    This is the only place that decides it.
    """
    text = element.casefold()
    return any(marker in text for marker in CONTEXT_MARKERS)


def liability_modes() -> QuerySet[ModeOfLiability]:
    """The modes an allegation may name: arts. 25(3)(a)-(f) and 28(a)-(b), not art. 30."""
    return ModeOfLiability.objects.exclude(article="30").order_by("position")


# --- Loading for one user ----------------------------------------------------------------------


def allegation_access(user: User, pk: int, perm: str = P.VIEW) -> tuple[Allegation, CaseAccess]:
    """An allegation for ``user``: 404 unless its case is visible to them, 403 without
    ``perm``. Two queries."""
    allegations = Allegation.objects.select_related("crime", "suspect")
    return load_with_case_access(user, allegations, pk, case="case", perm=perm)


def link_access(user: User, pk: int, perm: str = P.VIEW) -> tuple[EvidenceLink, CaseAccess]:
    """One version of a link for ``user``: 404 unless its case and its item are visible to
    them (an item may be classified above its case). Two queries."""
    links = EvidenceLink.objects.filter(
        item__in=EvidenceItem.objects.cleared_for(user).values("pk")
    ).select_related("allegation__crime", "item", "mode", "changed_by")
    return load_with_case_access(user, links, pk, case="allegation__case", perm=perm)


# --- Selectors ---------------------------------------------------------------------------------

ASSESSMENT_ORDER = (
    Assessment.STRONG,
    Assessment.MODERATE,
    Assessment.WEAK,
    Assessment.CONTRADICTING,
)


@dataclass(frozen=True)
class LinkGroup:
    """The current links of one row with one assessment."""

    assessment: str
    label: str
    links: list[EvidenceLink]

    @property
    def contradicting(self) -> bool:
        return self.assessment == Assessment.CONTRADICTING


@dataclass(frozen=True)
class MatrixRow:
    """One row of a matrix: an element of the crime (``kind`` ``element`` or ``contextual``,
    ``index`` 0-based) or a mode of liability (``kind`` ``mode``)."""

    kind: str
    text: str
    groups: list[LinkGroup]
    index: int | None = None
    mode: ModeOfLiability | None = None

    @property
    def number(self) -> int | None:
        return None if self.index is None else self.index + 1

    @property
    def links(self) -> list[EvidenceLink]:
        return [link for group in self.groups for link in group.links]

    @property
    def gap(self) -> bool:
        """No current link supports the row (contradicting evidence supports nothing)."""
        return not any(group.links for group in self.groups if not group.contradicting)

    @property
    def contradicted(self) -> bool:
        return any(group.links for group in self.groups if group.contradicting)


@dataclass(frozen=True)
class Matrix:
    """An allegation's proof matrix: rows, coverage, and the evidence that must be disclosed."""

    allegation: Allegation
    rows: list[MatrixRow]
    contradicting: list[tuple[MatrixRow, EvidenceLink]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def covered(self) -> int:
        return sum(1 for row in self.rows if not row.gap)

    @property
    def coverage(self) -> int:
        """Covered rows over all rows, as a whole percentage (rounded down)."""
        return self.covered * 100 // self.total if self.total else 0

    @property
    def gaps(self) -> list[MatrixRow]:
        return [row for row in self.rows if row.gap]

    @property
    def wording_pending(self) -> bool:
        return not self.allegation.crime.verified_from_source


def _current_links(clearance: int | None) -> Prefetch[str, Any, str]:
    """The current links; with ``clearance``, only those of items classified no higher."""
    links = EvidenceLink.objects.filter(is_current=True)
    if clearance is not None:
        links = links.filter(item__classification__lte=clearance)
    return Prefetch(
        "links",
        queryset=links.select_related("item", "mode", "changed_by").order_by(
            "item__number", "locator", "id"
        ),
        to_attr="current_links",
    )


def _groups(links: list[EvidenceLink]) -> list[LinkGroup]:
    labels = dict(Assessment.choices)
    return [
        LinkGroup(a, str(labels[a]), [link for link in links if link.assessment == a])
        for a in ASSESSMENT_ORDER
    ]


def _build(allegation: Allegation) -> Matrix:
    """The matrix of an allegation whose ``modes`` and ``current_links`` are prefetched."""
    links: list[EvidenceLink] = allegation.current_links  # type: ignore[attr-defined]  # Prefetch to_attr
    rows = [
        MatrixRow(
            kind="contextual" if is_contextual(text) else "element",
            text=text,
            index=index,
            groups=_groups([link for link in links if link.element_index == index]),
        )
        for index, text in enumerate(allegation.crime.elements)
    ]
    for mode in allegation.modes.all():
        rows.append(
            MatrixRow(
                kind="mode",
                text=f"{mode.article} {mode.title}",
                mode=mode,
                groups=_groups([link for link in links if link.mode_id == mode.pk]),
            )
        )
    contradicting = [
        (row, link)
        for row in rows
        for group in row.groups
        if group.contradicting
        for link in group.links
    ]
    return Matrix(allegation=allegation, rows=rows, contradicting=contradicting)


def _with_matrix_data(
    allegations: QuerySet[Allegation], clearance: int | None = None
) -> QuerySet[Allegation]:
    return (
        allegations.select_related("crime", "suspect", "case")
        .prefetch_related(
            Prefetch("modes", queryset=ModeOfLiability.objects.order_by("position")),
            Prefetch("incidents", queryset=Incident.objects.order_by("date_start", "id")),
            _current_links(clearance),
        )
        .order_by("id")
    )


def _clearance(user: User | None) -> int | None:
    return None if user is None else user.clearance


def allegations_of(case: Case, user: User | None = None) -> QuerySet[Allegation]:
    """A case's allegations with what their matrices need, in a constant number of queries;
    with ``user``, only the links of items they are cleared for."""
    return _with_matrix_data(Allegation.objects.filter(case=case), _clearance(user))


def matrices_of(case: Case, user: User | None = None) -> list[Matrix]:
    """The matrix of every allegation of a case (the case overview)."""
    return [_build(allegation) for allegation in allegations_of(case, user)]


def matrix(allegation: Allegation, user: User | None = None) -> Matrix:
    """The proof matrix of an allegation: its crime's elements in order (contextual ones
    flagged), then its modes of liability; each row with its current links grouped by
    assessment and its gap flag; the coverage; and the contradicting links, which must be
    disclosed. Four queries, whatever the number of links."""
    return _build(
        _with_matrix_data(Allegation.objects.filter(pk=allegation.pk), _clearance(user)).get()
    )


def links_of_item(item: EvidenceItem) -> QuerySet[EvidenceLink]:
    """The current links of an item, for the item's page."""
    return (
        item.proof_links.filter(is_current=True)
        .select_related("allegation__crime", "allegation__suspect", "mode")
        .order_by("allegation_id", "element_index", "mode__position", "id")
    )


def link_history(link: EvidenceLink) -> QuerySet[EvidenceLink]:
    """Every version of the link ``link`` is a version of, oldest first."""
    first = link.first_version_id
    return (
        EvidenceLink.objects.filter(Q(pk=first) | Q(origin_id=first))
        .select_related("item", "mode", "changed_by")
        .order_by("version")
    )


def suspect_labels(user: User, case: Case) -> dict[int, str]:
    """Case person id → how ``user`` may see them (a pseudonym without the identity grant)."""
    return {row.case_person.pk: row.label for row in person_rows(user, case)}


@dataclass(frozen=True)
class ProofSection:
    """An allegation's matrix as rows of text: the CSV export, and the section the case
    package renders into its PDF. Persons appear as ``user`` may see them."""

    title: str
    suspect: str
    crime: str
    wording_pending: bool
    coverage: int
    columns: list[str]
    rows: list[list[str]]


def matrix_rows_for_export(
    allegation: Allegation, user: User | None, *, labels: dict[int, str] | None = None
) -> ProofSection:
    """The package section builder: the matrix of ``allegation`` as seen by ``user``, one
    line per current link, and one line for each row without evidence (marked as a gap).
    The suspect is named only if ``user`` may see the identity. ``labels`` (case person id →
    label), when given, decides instead of ``user``'s grants: a case package names persons as
    its disclosures allow."""
    built = matrix(allegation, user)
    if labels is None:
        if user is None:
            raise TypeError("the export names persons as a user or a package's labels allow")
        labels = suspect_labels(user, allegation.case)
    suspect = labels.get(allegation.suspect_id, "")
    crime = allegation.crime
    crime_label = f"{crime.article} {crime.title}"
    kinds = {
        "element": _("Element"),
        "contextual": _("Contextual element"),
        "mode": _("Mode of liability"),
    }
    rows = []
    for row in built.rows:
        head = [
            allegation.audit_label,
            suspect,
            crime_label,
            str(row.number) if row.number else row.mode.article if row.mode else "",
            kinds[row.kind],
            row.text,
        ]
        gap = _("yes") if row.gap else _("no")
        if not row.links:
            rows.append([*head, "", "", "", "", "", "", "", gap])
        for link in row.links:
            rows.append(
                [
                    *head,
                    link.item.exhibit,
                    link.locator,
                    link.get_assessment_display(),
                    link.relevance,
                    str(link.version),
                    link.changed_by.get_full_name() or link.changed_by.get_username(),
                    link.changed_at.isoformat(timespec="seconds"),
                    gap,
                ]
            )
    return ProofSection(
        title=_("Proof matrix: allegation #%(pk)s") % {"pk": allegation.pk},
        suspect=suspect,
        crime=crime_label,
        wording_pending=built.wording_pending,
        coverage=built.coverage,
        columns=[
            _("Allegation"),
            _("Suspect"),
            _("Crime"),
            _("Row"),
            _("Kind"),
            _("Element or mode"),
            _("Exhibit"),
            _("Where in the item"),
            _("Assessment"),
            _("Relevance"),
            _("Version"),
            _("Linked by"),
            _("Linked on"),
            _("Gap"),
        ],
        rows=rows,
    )

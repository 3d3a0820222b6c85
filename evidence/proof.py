"""The proof matrix: which element of which crime each piece of evidence proves, against whom,
and what is still missing.

Writes (services) check that the actor may contribute to the case, own their transaction and
write their audit row in it. Reads (selectors) build plain data structures with a constant
number of queries, whatever the number of links.

Versioning of links. A link is never edited (a database trigger refuses it): revising it
writes a new row (``version`` + 1, ``supersedes`` the row before, ``origin`` the first
version, with who and why) and the row before stops being current, in one transaction.
Withdrawing a link writes a last version that is ``withdrawn`` and not current, with the
reason, and keeps the assessment it had; the chain then has no current row, so the link no
longer counts in the matrix, while its whole history stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import Case, CasePerson, Crime, Incident, ModeOfLiability
from cases.selectors import CaseAccess, case_access, case_permissions, person_rows
from evidence.models import Allegation, EvidenceItem, EvidenceLink

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
    ``perm``."""
    allegation = (
        Allegation.objects.filter(case__in=Case.objects.visible_to(user).values("pk"), pk=pk)
        .select_related("case", "crime", "suspect")
        .first()
    )
    if allegation is None:
        raise Http404
    return allegation, case_access(user, allegation.case_id, perm)


def link_access(user: User, pk: int, perm: str = P.VIEW) -> tuple[EvidenceLink, CaseAccess]:
    """One version of a link for ``user``: 404 unless its case and its item are visible to
    them (an item may be classified above its case)."""
    if not user.is_authenticated:
        raise Http404
    link = (
        EvidenceLink.objects.filter(
            allegation__case__in=Case.objects.visible_to(user).values("pk"),
            item__classification__lte=user.clearance,
            pk=pk,
        )
        .select_related("allegation__case", "allegation__crime", "item", "mode", "changed_by")
        .first()
    )
    if link is None:
        raise Http404
    return link, case_access(user, link.allegation.case_id, perm)


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


def _current_links(clearance: int | None) -> Prefetch:
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
        LinkGroup(a, labels[a], [link for link in links if link.assessment == a])
        for a in ASSESSMENT_ORDER
    ]


def _build(allegation: Allegation) -> Matrix:
    """The matrix of an allegation whose ``modes`` and ``current_links`` are prefetched."""
    links: list[EvidenceLink] = allegation.current_links
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
            str(row.number) if row.number else row.mode.article,
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


# --- Services ----------------------------------------------------------------------------------


def _require(actor: User, case: Case) -> None:
    """Every writer of the proof matrix: the right to contribute, on a case that is open."""
    if P.CONTRIBUTE not in case_permissions(actor, case):
        raise PermissionDenied
    case_require_open(case)


def _check_allegation(
    case: Case,
    suspect: CasePerson,
    crime: Crime,
    modes: list[ModeOfLiability],
    incidents: list[Incident],
) -> None:
    errors: dict[str, str] = {}
    if suspect.case_id != case.pk:
        errors["suspect"] = _("This person is not part of this case.")
    elif suspect.role != CasePerson.Role.SUSPECT:
        errors["suspect"] = _("An allegation is made against a suspect of the case.")
    if crime is None:
        errors["crime"] = _("Choose the crime.")
    if not modes:
        errors["modes"] = _("Choose at least one mode of liability.")
    elif any(mode.article == "30" for mode in modes):
        errors["modes"] = _(
            "Art. 30 is the mental element of every crime, not a mode of liability."
        )
    if any(incident.case_id != case.pk for incident in incidents):
        errors["incidents"] = _("An incident of another case cannot be part of this allegation.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def allegation_create(
    *,
    case: Case,
    actor: User,
    suspect: CasePerson,
    crime: Crime,
    modes: Iterable[ModeOfLiability],
    incidents: Iterable[Incident] = (),
    status: str = Allegation.Status.UNDER_INVESTIGATION,
) -> Allegation:
    _require(actor, case)
    modes, incidents = list(modes), list(incidents)
    _check_allegation(case, suspect, crime, modes, incidents)
    allegation = Allegation(
        case=case, suspect=suspect, crime=crime, status=status, created_by=actor
    )
    allegation.full_clean(exclude=["modes", "incidents"])
    allegation.save()
    allegation.modes.set(modes)
    allegation.incidents.set(incidents)
    audit_record(
        actor=actor,
        action="proof.allegation_created",
        target=allegation,
        details={
            "crime": crime.code,
            "modes": sorted(m.article for m in modes),
            "incidents": sorted(i.pk for i in incidents),
        },
    )
    return allegation


@transaction.atomic
def allegation_update(
    *,
    allegation: Allegation,
    actor: User,
    suspect: CasePerson,
    crime: Crime,
    modes: Iterable[ModeOfLiability],
    incidents: Iterable[Incident] = (),
    status: str,
) -> Allegation:
    """Changes an allegation. Once evidence is linked to it, its suspect and crime are fixed
    (the links were assessed against them: open another allegation instead), and a mode with
    current links cannot be removed (withdraw those links first)."""
    _require(actor, allegation.case)
    allegation = Allegation.objects.select_for_update().get(pk=allegation.pk)
    modes, incidents = list(modes), list(incidents)
    _check_allegation(allegation.case, suspect, crime, modes, incidents)
    linked = allegation.links.exists()
    errors: dict[str, str] = {}
    if linked and suspect.pk != allegation.suspect_id:
        errors["suspect"] = _(
            "Evidence is linked to this allegation: its suspect cannot change. Open another "
            "allegation instead."
        )
    if linked and crime.pk != allegation.crime_id:
        errors["crime"] = _(
            "Evidence is linked to the elements of this crime: it cannot change. Open another "
            "allegation instead."
        )
    removed = set(allegation.modes.values_list("pk", flat=True)) - {m.pk for m in modes}
    in_use = allegation.links.filter(is_current=True, mode_id__in=removed)
    if removed and in_use.exists():
        errors["modes"] = _("Evidence is linked to a mode you removed: withdraw those links first.")
    if errors:
        raise ValidationError(errors)
    before = {
        "suspect": allegation.suspect_id,
        "crime": allegation.crime_id,
        "status": allegation.status,
        "modes": sorted(allegation.modes.values_list("article", flat=True)),
        "incidents": sorted(allegation.incidents.values_list("pk", flat=True)),
    }
    allegation.suspect, allegation.crime, allegation.status = suspect, crime, status
    allegation.full_clean(exclude=["modes", "incidents"])
    allegation.save()
    allegation.modes.set(modes)
    allegation.incidents.set(incidents)
    after = {
        "suspect": suspect.pk,
        "crime": crime.pk,
        "status": status,
        "modes": sorted(m.article for m in modes),
        "incidents": sorted(i.pk for i in incidents),
    }
    changed = sorted(key for key in before if before[key] != after[key])
    if changed:
        audit_record(
            actor=actor,
            action="proof.allegation_updated",
            target=allegation,
            details={"fields": changed, "status": status},
        )
    return allegation


def _target_errors(
    allegation: Allegation,
    element_index: int | None,
    mode: ModeOfLiability | None,
    element_crime: Crime | None,
) -> str | None:
    crime = allegation.crime
    if (element_index is None) == (mode is None):
        return _("Link the evidence to one element or to one mode of liability.")
    if mode is not None:
        if not allegation.modes.filter(pk=mode.pk).exists():
            return _("%(mode)s is not a mode of liability of this allegation.") % {
                "mode": mode.article
            }
        return None
    if element_crime is not None and element_crime.pk != crime.pk:
        return _(
            "This element is of art. %(other)s, not of the crime of this allegation "
            "(art. %(crime)s)."
        ) % {"other": element_crime.article, "crime": crime.article}
    if not 0 <= element_index < len(crime.elements):
        return _("Art. %(crime)s has no element %(number)s.") % {
            "crime": crime.article,
            "number": element_index + 1,
        }
    return None


def _duplicate(
    allegation: Allegation,
    item: EvidenceItem,
    element_index: int | None,
    mode: ModeOfLiability | None,
    locator: str,
    exclude: int | None = None,
) -> bool:
    current = EvidenceLink.objects.filter(
        allegation=allegation,
        item=item,
        element_index=element_index,
        mode=mode,
        locator=locator,
        is_current=True,
    )
    if exclude is not None:
        current = current.exclude(pk=exclude)
    return current.exists()


DUPLICATE = gettext_lazy(
    "This evidence is already linked to this row at the same place. Revise that link instead."
)


def _insert(link: EvidenceLink) -> EvidenceLink:
    """Saves a new version; the database's constraints are the last word on duplicates."""
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as error:
        raise ValidationError({"locator": str(DUPLICATE)}) from error
    return link


@transaction.atomic
def link_create(
    *,
    allegation: Allegation,
    item: EvidenceItem,
    actor: User,
    assessment: str,
    element_index: int | None = None,
    mode: ModeOfLiability | None = None,
    element_crime: Crime | None = None,
    locator: str = "",
    relevance: str = "",
) -> EvidenceLink:
    """Links an item (or a part of it: ``locator``) to an element of the allegation's crime
    or to one of its modes. ``element_crime`` is the crime the caller took the element from
    (a form rendered before the allegation changed): refused if it is not the allegation's."""
    _require(actor, allegation.case)
    allegation = (
        Allegation.objects.select_for_update(of=("self",))
        .select_related("case", "crime")
        .get(pk=allegation.pk)
    )
    locator, relevance = locator.strip(), relevance.strip()
    errors: dict[str, str] = {}
    if item.case_id != allegation.case_id:
        errors["item"] = _("This evidence belongs to another case.")
    target_error = _target_errors(allegation, element_index, mode, element_crime)
    if target_error:
        errors["target"] = target_error
    if assessment not in Assessment.values:
        errors["assessment"] = _("Choose an assessment.")
    if not errors and _duplicate(allegation, item, element_index, mode, locator):
        errors["locator"] = str(DUPLICATE)
    if errors:
        raise ValidationError(errors)
    link = _insert(
        EvidenceLink(
            allegation=allegation,
            item=item,
            element_index=element_index,
            mode=mode,
            locator=locator,
            relevance=relevance,
            assessment=assessment,
            changed_by=actor,
        )
    )
    audit_record(
        actor=actor,
        action="proof.link_created",
        target=link,
        details={
            "allegation": allegation.pk,
            "item": item.pk,
            "row": f"mode {mode.article}" if mode else f"element {element_index + 1}",
            "assessment": assessment,
        },
    )
    return link


def _lock_current(link: EvidenceLink) -> EvidenceLink:
    locked = (
        EvidenceLink.objects.select_for_update(of=("self",))
        .select_related("allegation__case", "item", "mode")
        .get(pk=link.pk)
    )
    if not locked.is_current:
        raise ValidationError(
            _("This link has changed since you opened it: see its history for the latest version.")
        )
    return locked


def _next_version(old: EvidenceLink, actor: User, reason: str, **changes: object) -> EvidenceLink:
    # The old row stops being current first: the new one takes its place in the constraint.
    EvidenceLink.objects.filter(pk=old.pk, is_current=True).update(is_current=False)
    fields = {
        "allegation": old.allegation,
        "item": old.item,
        "element_index": old.element_index,
        "mode": old.mode,
        "locator": old.locator,
        "relevance": old.relevance,
        "assessment": old.assessment,
        **changes,
    }
    return _insert(
        EvidenceLink(
            version=old.version + 1,
            supersedes=old,
            origin_id=old.first_version_id,
            changed_by=actor,
            reason=reason,
            **fields,
        )
    )


@transaction.atomic
def link_revise(
    *,
    link: EvidenceLink,
    actor: User,
    reason: str,
    assessment: str,
    locator: str = "",
    relevance: str = "",
) -> EvidenceLink:
    """A new version of a current link (its place in the item, relevance or assessment),
    with the reason. The item and the row stay: to link elsewhere, create another link."""
    _require(actor, link.allegation.case)
    old = _lock_current(link)
    locator, relevance, reason = locator.strip(), relevance.strip(), reason.strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say why the link changes.")
    if assessment not in Assessment.values:
        errors["assessment"] = _("Choose an assessment.")
    if (assessment, locator, relevance) == (old.assessment, old.locator, old.relevance):
        errors["__all__"] = _("Nothing has changed.")
    elif _duplicate(old.allegation, old.item, old.element_index, old.mode, locator, old.pk):
        errors["locator"] = str(DUPLICATE)
    if errors:
        raise ValidationError(errors)
    new = _next_version(
        old, actor, reason, assessment=assessment, locator=locator, relevance=relevance
    )
    audit_record(
        actor=actor,
        action="proof.link_revised",
        target=new,
        details={
            "supersedes": old.pk,
            "version": new.version,
            "assessment": [old.assessment, new.assessment],
        },
    )
    return new


@transaction.atomic
def link_withdraw(*, link: EvidenceLink, actor: User, reason: str) -> EvidenceLink:
    """Withdraws a current link: a last version, marked withdrawn and not current, records who
    and why. The link leaves the matrix; its history stays."""
    _require(actor, link.allegation.case)
    old = _lock_current(link)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the link is withdrawn.")})
    last = _next_version(old, actor, reason, is_current=False, withdrawn=True)
    audit_record(
        actor=actor,
        action="proof.link_withdrawn",
        target=last,
        details={"supersedes": old.pk, "version": last.version},
    )
    return last

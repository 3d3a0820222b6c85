"""Writes to the proof matrix. Each service checks that the actor may contribute to the case,
owns its transaction and writes its audit row in it.

Versioning of links. A link is never edited (a database trigger refuses it): revising it
writes a new row (``version`` + 1, ``supersedes`` the row before, ``origin`` the first
version, with who and why) and the row before stops being current, in one transaction.
Withdrawing a link writes a last version that is ``withdrawn`` and not current, with the
reason, and keeps the assessment it had; the chain then has no current row, so the link no
longer counts in the matrix, while its whole history stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import Case, CasePerson, Crime, Incident, ModeOfLiability
from cases.selectors import case_permissions
from evidence.models import Allegation, EvidenceItem, EvidenceLink

Assessment = EvidenceLink.Assessment


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
    if element_index is None:  # pragma: no cover - one of the two is set (checked above)
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
            "row": f"mode {mode.article}" if mode else f"element {link.element_number}",
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

"""What users do with case packages: request, approve or reject, revoke, retry, download, and
record a verification.

Every action checks what the actor may do, owns its transaction, writes its audit row in it
and tells the people concerned. An approval (or a retry) queues the package for the worker
(``partners.packages.worker``), which renders it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Clearance, User
from audit.services import audit_read, audit_record
from cases import permissions as P
from cases.models import Case, CasePerson
from cases.selectors import case_permissions, identity_grants
from evidence.models import Allegation, EvidenceItem
from partners.models import CaseShare, Package, PackageDisclosure, PackageSection
from partners.packages.selectors import (
    Download,
    case_leads,
    liaisons_of,
    package_content_classification,
    package_download_right,
)
from partners.packages.state import (
    concerned,
    package_close,
    package_lock,
    package_notify,
    package_share_in_force,
)
from partners.selectors import liaison_organisation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _lock_for_lead(package: Package, actor: User) -> tuple[Package, frozenset[str]]:
    """Locks the package for a decision on it, which only someone who may change its case
    takes (its case lead); returns it with the actor's permissions on the case."""
    package = package_lock(package)
    perms = case_permissions(actor, package.case)
    if P.CHANGE not in perms:
        raise PermissionDenied
    return package, perms


def _tell_concerned(package: Package, title: StrOrPromise, actor: User) -> None:
    """Tells the requester and the named recipients what ``actor`` did (not ``actor``)."""
    package_notify(concerned(package), title, package, skip=actor)


# --- Requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a package covers: sections, and all or some evidence items and allegations."""

    sections: list[str]
    all_evidence: bool = True
    evidence_items: tuple[EvidenceItem, ...] = ()
    all_allegations: bool = True
    allegations: tuple[Allegation, ...] = ()


def _check_scope(case: Case, scope: Scope) -> None:
    errors: dict[str, list[str]] = {}
    valid = set(Package.Section.values)
    if not scope.sections or not set(scope.sections) <= valid:
        errors["sections"] = [_("Choose at least one section.")]
    if not scope.all_evidence and not scope.evidence_items:
        errors["evidence_items"] = [_("Choose the evidence items, or include them all.")]
    if any(item.case_id != case.pk for item in scope.evidence_items):
        errors["evidence_items"] = [_("Every evidence item must belong to this case.")]
    if not scope.all_allegations and not scope.allegations:
        errors["allegations"] = [_("Choose the allegations, or include them all.")]
    if any(allegation.case_id != case.pk for allegation in scope.allegations):
        errors["allegations"] = [_("Every allegation must belong to this case.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def package_request(
    *,
    actor: User,
    case: Case,
    purpose: str,
    scope: Scope,
    language: str,
    purpose_detail: str = "",
    deadline: date | None = None,
    share: CaseShare | None = None,
    recipient: str = "",
) -> Package:
    """Requests a package. A liaison requests under ``share`` (their organisation's share of
    the case, at the package level); a case lead requests for the case directly, for a
    recipient they name (or for an organisation the case is shared with, through ``share``)."""
    liaison_org = liaison_organisation(actor)
    if share is not None:
        if share.case_id != case.pk or package_share_in_force(case, share.organisation_id) is None:
            raise PermissionDenied
        if liaison_org is not None and liaison_org.pk != share.organisation_id:
            raise PermissionDenied
        if liaison_org is None and P.CHANGE not in case_permissions(actor, case):
            raise PermissionDenied
    elif P.CHANGE not in case_permissions(actor, case):
        raise PermissionDenied
    _check_scope(case, scope)
    if deadline is not None and deadline < timezone.localdate():
        raise ValidationError({"deadline": [_("The deadline cannot be in the past.")]})
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [_("Choose one of the offered languages.")]})
    if share is not None:
        organisation = share.organisation
        if liaison_org is not None:
            recipient = f"{actor.get_full_name()}, {organisation.name}"
        elif not recipient.strip():
            recipient = organisation.name
    else:
        organisation = None
        if not recipient.strip():
            raise ValidationError({"recipient": [_("Name who the package is for.")]})
    package = Package.objects.create(
        case=case,
        organisation=organisation,
        recipient=recipient.strip()[:300],
        purpose=purpose,
        purpose_detail=purpose_detail,
        sections=[key for key in Package.Section.values if key in scope.sections],
        all_evidence=scope.all_evidence,
        all_allegations=scope.all_allegations,
        language=language,
        deadline=deadline,
        requested_by=actor,
    )
    if not scope.all_evidence:
        package.evidence_items.set(scope.evidence_items)
    if not scope.all_allegations:
        package.allegations.set(scope.allegations)
    audit_record(
        actor=actor,
        action="package.requested",
        target=package,
        details={
            "purpose": purpose,
            "sections": package.sections,
            "language": language,
            "organisation": organisation.pk if organisation else None,
            "items": None if scope.all_evidence else [i.pk for i in scope.evidence_items],
            "allegations": None if scope.all_allegations else [a.pk for a in scope.allegations],
        },
    )
    package_notify(
        case_leads(case),
        gettext_lazy("Package {ref} requested: please decide"),
        package,
        skip=actor,
    )
    return package


# --- Decisions ----------------------------------------------------------------------------------


def _enqueue(package: Package) -> None:
    from partners.packages.tasks import render_package

    Package.objects.filter(pk=package.pk).update(
        status=Package.Status.QUEUED,
        progress=0,
        error="",
        assembling=False,
        claimed_at=timezone.now(),
    )
    render_package.delay_on_commit(package.pk)


def _check_recipients(package: Package, recipients: list[User]) -> None:
    if package.organisation_id is None:
        if recipients:
            raise ValidationError(
                {"recipients": [_("This package is not addressed to a partner organisation.")]}
            )
        return
    if not recipients:
        raise ValidationError({"recipients": [_("Name who may download the package.")]})
    allowed = set(liaisons_of(package).values_list("pk", flat=True))
    if any(user.pk not in allowed for user in recipients):
        raise ValidationError(
            {"recipients": [_("Only active liaisons of the recipient organisation can be named.")]}
        )


def _check_classification(
    *,
    actor: User,
    level: int,
    recipients: list[User],
    declassify_to: int | None,
    declassification_reason: str,
) -> None:
    """The package is released at ``declassify_to`` (when recorded) or at ``level``; every
    named recipient must be cleared for that."""
    if actor.clearance < level:
        raise ValidationError(
            _("The package holds material classified above your clearance: you cannot approve it.")
        )
    if declassify_to is not None:
        if declassify_to not in Clearance.values or declassify_to >= level:
            raise ValidationError(
                {
                    "declassify_to": [
                        _("A declassification must lower the level below %(level)s.")
                        % {"level": Clearance(level).label}
                    ]
                }
            )
        if not declassification_reason.strip():
            raise ValidationError(
                {"declassification_reason": [_("Record why the package is declassified.")]}
            )
    released = level if declassify_to is None else declassify_to
    uncleared = [user for user in recipients if user.clearance < released]
    if uncleared:
        raise ValidationError(
            {
                "recipients": [
                    _(
                        "The package is %(level)s and %(names)s is not cleared for it: name "
                        "another recipient, or record a declassification and its reason."
                    )
                    % {
                        "level": Clearance(released).label,
                        "names": ", ".join(u.get_full_name() or u.username for u in uncleared),
                    }
                ]
            }
        )


@transaction.atomic
def package_approve(
    *,
    package: Package,
    actor: User,
    reason: str = "",
    disclosures: Iterable[tuple[CasePerson, str]] = (),
    recipients: Iterable[User] = (),
    declassify_to: int | None = None,
    declassification_reason: str = "",
) -> Package:
    """The case lead approves: the package is queued for rendering.

    ``recipients`` are the liaisons who may download it (required for a package addressed to
    an organisation: nobody else of it may). Identities of protected persons are included only
    as listed in ``disclosures``, each with its justification, and only identities the
    approver holds. The package's classification is its content's (the case's, or an included
    item's above it); above a recipient's clearance it is refused unless the approver records
    a declassification (``declassify_to`` and its reason)."""
    package, perms = _lock_for_lead(package, actor)
    if package.status != Package.Status.REQUESTED:
        raise ValidationError(_("This request has already been decided."))
    if package.requested_by_id == actor.pk:
        raise ValidationError(_("You requested this package: another case lead must approve it."))
    if (
        package.organisation_id
        and package_share_in_force(package.case, package.organisation_id) is None
    ):
        raise ValidationError(
            _("The case is no longer shared with the recipient organisation for packages.")
        )
    disclosures = list(disclosures)
    if disclosures and P.GRANT_IDENTITY not in perms:
        raise PermissionDenied
    held = identity_grants(actor, package.case) if disclosures else frozenset()
    for case_person, justification in disclosures:
        if case_person.case_id != package.case_id or not case_person.protected:
            raise ValidationError(_("Only protected persons of this case can be disclosed."))
        if case_person.pk not in held:
            # Four eyes: an identity is disclosed only by someone who was given it.
            raise PermissionDenied
        if not justification.strip():
            raise ValidationError(
                {"justification": [_("Record why the identity is included in the package.")]}
            )
    recipients = list(recipients)
    _check_recipients(package, recipients)
    level = package_content_classification(package)
    _check_classification(
        actor=actor,
        level=level,
        recipients=recipients,
        declassify_to=declassify_to,
        declassification_reason=declassification_reason,
    )
    why_declassified = declassification_reason.strip() if declassify_to is not None else ""
    now = timezone.now()
    Package.objects.filter(pk=package.pk).update(
        status=Package.Status.APPROVED,
        decided_by=actor,
        decided_at=now,
        decision_reason=reason,
        classification=level,
        declassified_to=declassify_to,
        declassification_reason=why_declassified,
    )
    package.recipients.set(recipients)
    for case_person, justification in disclosures:
        PackageDisclosure.objects.create(
            package=package, case_person=case_person, justification=justification, added_by=actor
        )
    audit_record(
        actor=actor,
        action="package.approved",
        target=package,
        details={
            "disclosed": [cp.pk for cp, _j in disclosures],
            "recipients": [user.pk for user in recipients],
            "classification": level,
        },
    )
    if declassify_to is not None:
        audit_record(
            actor=actor,
            action="package.declassified",
            target=package,
            details={"from": level, "to": declassify_to, "reason": why_declassified},
        )
    _enqueue(package)
    audit_record(actor=actor, action="package.queued", target=package)
    package.refresh_from_db()
    _tell_concerned(package, gettext_lazy("Package {ref} approved"), actor)
    return package


@transaction.atomic
def package_reject(*, package: Package, actor: User, reason: str) -> Package:
    package, _perms = _lock_for_lead(package, actor)
    if package.status != Package.Status.REQUESTED:
        raise ValidationError(_("This request has already been decided."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the rejection.")]})
    Package.objects.filter(pk=package.pk).update(
        status=Package.Status.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_reason=reason,
    )
    package.refresh_from_db()
    audit_record(actor=actor, action="package.rejected", target=package)
    _tell_concerned(package, gettext_lazy("Package {ref} rejected"), actor)
    return package


@transaction.atomic
def package_revoke(*, package: Package, actor: User, reason: str) -> Package:
    """Stops a package wherever it is: a queued job renders nothing, a link stops working,
    the stored PDF is removed (its hash stays, so a copy can still be recognised)."""
    package, _perms = _lock_for_lead(package, actor)
    if package.status not in Package.REVOCABLE:
        raise ValidationError(_("This package can no longer be revoked."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the revocation.")]})
    package_close(package, Package.Status.REVOKED, actor=actor, reason=reason)
    audit_record(actor=actor, action="package.revoked", target=package)
    _tell_concerned(package, gettext_lazy("Package {ref} revoked"), actor)
    return package


@transaction.atomic
def package_retry(*, package: Package, actor: User) -> Package:
    package, _perms = _lock_for_lead(package, actor)
    if package.status != Package.Status.FAILED:
        raise ValidationError(_("Only a failed package can be retried."))
    Package.objects.filter(pk=package.pk).update(attempts=0)
    PackageSection.objects.filter(package=package, status=PackageSection.Status.FAILED).update(
        status=PackageSection.Status.PENDING, attempts=0, error=""
    )
    _enqueue(package)
    audit_record(actor=actor, action="package.retried", target=package)
    package.refresh_from_db()
    return package


# --- Delivery -----------------------------------------------------------------------------------


def _open_pdf(package: Package) -> IO[bytes]:
    if not package.pdf.name:
        raise ValidationError(_("This package can no longer be downloaded."))
    return default_storage.open(package.pdf.name, "rb")


@transaction.atomic
def package_download(*, package: Package, actor: User) -> IO[bytes]:
    """Opens the PDF for ``actor`` (``package_download_right`` decides who may), refused once
    expired or revoked. A named recipient's download is the delivery: counted, audited, marks
    the package downloaded and tells the approver. A case team member's is an internal copy:
    audited, and nothing else changes."""
    package = package_lock(package)
    right = package_download_right(actor, package)
    if right is None:
        raise PermissionDenied
    if not package.is_downloadable:
        raise ValidationError(_("This package can no longer be downloaded."))
    if right == Download.INTERNAL_COPY:
        audit_record(
            actor=actor,
            action="package.internal_copy_downloaded",
            target=package,
            details={"sha256": package.sha256},
        )
        return _open_pdf(package)
    Package.objects.filter(pk=package.pk).update(
        status=Package.Status.DOWNLOADED,
        download_count=F("download_count") + 1,
        last_downloaded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="package.downloaded",
        target=package,
        details={"sha256": package.sha256, "download": package.download_count + 1},
    )
    if package.status == Package.Status.READY:
        package_notify(
            [package.decided_by] if package.decided_by else [],
            gettext_lazy("Package {ref} downloaded"),
            package,
            skip=actor,
        )
    return _open_pdf(package)


def verification_record(*, actor: User, outcome: str, package: Package | None) -> None:
    """Records that ``actor`` checked a PDF, and what the check found (``valid``, ``altered``
    or ``unknown``)."""
    audit_read(actor=actor, action="package.verified", target=package, details={"outcome": outcome})

"""Writes about case packages: requests, decisions, rendering state, delivery, revocation.

Every step checks what the actor may do, owns its transaction, writes its audit row in it and
tells the people concerned. The rendering steps run in workers (partners/tasks.py) and claim
their work with conditional updates, so a message delivered twice does nothing the second time.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Clearance, User
from accounts.services import notification_send
from audit.services import audit_record
from cases import permissions as P
from cases.models import Case, CasePerson
from cases.selectors import case_permissions, identity_grants
from custos.files import FileOnDisk, sha256_and_size
from evidence.models import Allegation, EvidenceItem
from partners.models import CaseShare, Package, PackageDisclosure, PackageSection
from partners.package_selectors import (
    Download,
    case_leads,
    liaisons_of,
    named_recipients_of,
    package_content_classification,
    package_download_right,
)
from partners.selectors import liaison_organisation

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A package (or one of its parts) claimed longer ago than this is presumed orphaned by a
# worker that died; the periodic job queues it again. Above the hard time limit of a task.
STUCK_AFTER = timedelta(seconds=settings.CUSTOS_REPORT_TIME_LIMIT + 5 * 60)


def _url(package: Package) -> str:
    return reverse("packages:detail", args=[package.pk])


def _notify(
    users: Iterable[User], title: str, package: Package, *, skip: User | None = None
) -> None:
    """Tells each of ``users`` once (not ``skip``); ``title`` is a lazy translation with a
    ``{ref}`` placeholder for the package's reference, rendered in each one's language."""
    seen: set[int] = set()
    for user in users:
        if user.pk in seen or (skip is not None and user.pk == skip.pk):
            continue
        seen.add(user.pk)
        notification_send(
            user=user, title=format_lazy(title, ref=package.reference), url=_url(package)
        )


def _concerned(package: Package) -> list[User]:
    """The requester and the named recipients (not every liaison of the organisation)."""
    return [package.requested_by, *named_recipients_of(package)]


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


def _active_package_share(case: Case, organisation_id: int) -> CaseShare | None:
    return (
        CaseShare.objects.active()
        .filter(case=case, organisation_id=organisation_id, level=CaseShare.Level.PACKAGES)
        .first()
    )


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
        if share.case_id != case.pk or _active_package_share(case, share.organisation_id) is None:
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
    _notify(
        case_leads(case),
        gettext_lazy("Package {ref} requested: please decide"),
        package,
        skip=actor,
    )
    return package


# --- Decisions ----------------------------------------------------------------------------------


def _lock(package: Package) -> Package:
    return (
        Package.objects.select_for_update()
        .select_related("case", "requested_by")
        .get(pk=package.pk)
    )


def _enqueue(package: Package) -> None:
    from partners.tasks import render_package

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
    package = _lock(package)
    perms = case_permissions(actor, package.case)
    if P.CHANGE not in perms:
        raise PermissionDenied
    if package.status != Package.Status.REQUESTED:
        raise ValidationError(_("This request has already been decided."))
    if package.requested_by_id == actor.pk:
        raise ValidationError(_("You requested this package: another case lead must approve it."))
    if (
        package.organisation_id
        and _active_package_share(package.case, package.organisation_id) is None
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
    _notify(
        _concerned(package),
        gettext_lazy("Package {ref} approved"),
        package,
        skip=actor,
    )
    return package


@transaction.atomic
def package_reject(*, package: Package, actor: User, reason: str) -> Package:
    package = _lock(package)
    if P.CHANGE not in case_permissions(actor, package.case):
        raise PermissionDenied
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
    _notify(
        _concerned(package),
        gettext_lazy("Package {ref} rejected"),
        package,
        skip=actor,
    )
    return package


@transaction.atomic
def package_revoke(*, package: Package, actor: User, reason: str) -> Package:
    """Stops a package wherever it is: a queued job renders nothing, a link stops working,
    the stored PDF is removed (its hash stays, so a copy can still be recognised)."""
    package = _lock(package)
    if P.CHANGE not in case_permissions(actor, package.case):
        raise PermissionDenied
    if package.status not in Package.REVOCABLE:
        raise ValidationError(_("This package can no longer be revoked."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the revocation.")]})
    _close(package, Package.Status.REVOKED, actor=actor, reason=reason)
    audit_record(actor=actor, action="package.revoked", target=package)
    _notify(
        _concerned(package),
        gettext_lazy("Package {ref} revoked"),
        package,
        skip=actor,
    )
    return package


def _close(package: Package, status: str, *, actor: User | None, reason: str) -> None:
    fields = {"status": status, "assembling": False}
    if status == Package.Status.REVOKED:
        fields.update(revoked_at=timezone.now(), revoked_by=actor, revoke_reason=reason)
    Package.objects.filter(pk=package.pk).update(**fields)
    name = package.pdf.name
    if name:
        transaction.on_commit(lambda: _delete_quietly(name))
    package.refresh_from_db()


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:  # pragma: no cover - the file is already gone
        logger.warning("package file %s could not be removed", name, exc_info=True)


@transaction.atomic
def package_retry(*, package: Package, actor: User) -> Package:
    package = _lock(package)
    if P.CHANGE not in case_permissions(actor, package.case):
        raise PermissionDenied
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


@transaction.atomic
def package_download(*, package: Package, actor: User) -> IO[bytes]:
    """Opens the PDF for ``actor`` (``package_download_right`` decides who may), refused once
    expired or revoked. A named recipient's download is the delivery: counted, audited, marks
    the package downloaded and tells the approver. A case team member's is an internal copy:
    audited, and nothing else changes."""
    package = _lock(package)
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
        return default_storage.open(package.pdf.name, "rb")
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
        _notify(
            [package.decided_by] if package.decided_by else [],
            gettext_lazy("Package {ref} downloaded"),
            package,
            skip=actor,
        )
    return default_storage.open(package.pdf.name, "rb")


@transaction.atomic
def package_expire_due() -> int:
    """Marks expired the packages whose download period is over, and removes their files."""
    due = list(
        Package.objects.select_for_update(skip_locked=True).filter(
            status__in=[Package.Status.READY, Package.Status.DOWNLOADED],
            expires_at__lte=timezone.now(),
        )[:500]
    )
    for package in due:
        _close(package, Package.Status.EXPIRED, actor=None, reason="")
        audit_record(actor=None, action="package.expired", target=package)
        _notify(
            _concerned(package),
            gettext_lazy("Package {ref} has expired"),
            package,
        )
    return len(due)


def verification_record(*, actor: User, outcome: str, package: Package | None) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="package.verified",
            target=package,
            details={"outcome": outcome},
        )


# --- Rendering (called by the workers in partners/tasks.py) -------------------------------------


TEMPORARY_PREFIX = "custos-package-"


def _temporary_path(suffix: str) -> str:
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, exist_ok=True)
    handle, path = tempfile.mkstemp(
        prefix=TEMPORARY_PREFIX, suffix=suffix, dir=settings.FILE_UPLOAD_TEMP_DIR
    )
    os.close(handle)
    return path


def _remove_stale_temporaries(older_than: float) -> None:
    """Files a merge killed with its worker left behind (a finished one removes its own)."""
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    if not folder.is_dir():
        return
    for path in folder.glob(f"{TEMPORARY_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < older_than:
                path.unlink()


def _store(content: File, name: str) -> str:
    """Stores ``content`` under exactly ``name``: a file left by an earlier attempt that died
    after storing is replaced, so one request has one file."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, content)


def _unlink(path: str) -> None:
    if path and os.path.exists(path):
        os.unlink(path)


def _undeliverable_reason(package: Package) -> str:
    """Why a package must not be rendered any more, or "" when it still may be."""
    if package.status != Package.Status.RENDERING:
        return "status"
    if (
        package.organisation_id
        and _active_package_share(package.case, package.organisation_id) is None
    ):
        return gettext_lazy("The case is no longer shared with the recipient organisation.")
    return ""


def _stop_undeliverable(package: Package, reason: str) -> None:
    """A revocation happened between queueing and rendering: nothing is rendered."""
    with transaction.atomic():
        package = _lock(package)
        if package.status != Package.Status.RENDERING:
            return
        _close(package, Package.Status.REVOKED, actor=None, reason=str(reason))
        audit_record(actor=None, action="package.stopped", target=package)
        _notify(
            [*case_leads(package.case), *_concerned(package)],
            gettext_lazy("Package {ref} was not rendered"),
            package,
        )


def package_render_start(package_id: int) -> None:
    """Claims a queued package, plans its parts and queues them (or the merge, when every
    part is already rendered: a package recovered after its worker died)."""
    from partners import packages as pipeline
    from partners.tasks import assemble_package, render_package_part

    now = timezone.now()
    claimed = Package.objects.filter(
        pk=package_id, status=Package.Status.QUEUED, attempts__lt=MAX_ATTEMPTS
    ).update(status=Package.Status.RENDERING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return
    package = Package.objects.select_related("case", "organisation").get(pk=package_id)
    reason = _undeliverable_reason(package)
    if reason:
        _stop_undeliverable(package, reason)
        return
    with transaction.atomic():
        if package.printed_persons is None:
            # Once, before any part renders: what the PDF will name (a superset of what the
            # parts print, since protection only grows while they render).
            from partners.packages import content

            Package.objects.filter(pk=package.pk).update(
                printed_persons=content.printed_person_ids(package),
                printed_file_items=content.printed_file_item_ids(package),
            )
        if not package.parts.exists():
            plans = pipeline.plan_parts(package)
            PackageSection.objects.bulk_create(
                PackageSection(package=package, index=i, key=plan.key, params=plan.params)
                for i, plan in enumerate(plans)
            )
        else:
            # Parts a dead worker had claimed are rendered again; finished ones are kept.
            package.parts.filter(
                Q(status=PackageSection.Status.FAILED)
                | Q(status=PackageSection.Status.RENDERING, claimed_at__lt=now - STUCK_AFTER)
            ).update(status=PackageSection.Status.PENDING)
        pending = list(
            package.parts.exclude(status=PackageSection.Status.DONE).values_list("pk", flat=True)
        )
        audit_record(
            actor=None, action="package.rendering", target=package, details={"parts": len(pending)}
        )
        if pending:
            Package.objects.filter(pk=package.pk).update(progress=5)
            for part_id in pending:
                render_package_part.delay_on_commit(part_id)
        elif Package.objects.filter(pk=package.pk, assembling=False).update(assembling=True):
            assemble_package.delay_on_commit(package.pk)


def package_part_render(part_id: int) -> None:
    """Renders one part into storage; the worker finishing the last part queues the merge."""
    from partners import packages as pipeline
    from partners.tasks import assemble_package

    claimed = PackageSection.objects.filter(
        pk=part_id,
        status=PackageSection.Status.PENDING,
        package__status=Package.Status.RENDERING,
    ).update(
        status=PackageSection.Status.RENDERING,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return
    part = PackageSection.objects.select_related("package__case", "package__organisation").get(
        pk=part_id
    )
    package = part.package
    # A part is small by design (the plan splits long sections): it renders in memory, so a
    # worker killed mid-render leaves no file behind; the part is stored once rendered.
    out = io.BytesIO()
    try:
        result = pipeline.render_part(
            package, pipeline.PartPlan(key=part.key, params=part.params), out
        )
        name = _store(
            ContentFile(out.getvalue()), f"packages/parts/{package.uid}/{part.index:05d}.pdf"
        )
    except BaseException:
        PackageSection.objects.filter(pk=part_id, status=PackageSection.Status.RENDERING).update(
            status=PackageSection.Status.PENDING
        )
        raise
    finally:
        out.close()
    with transaction.atomic():
        locked = Package.objects.select_for_update().get(pk=package.pk)
        PackageSection.objects.filter(pk=part_id).update(
            status=PackageSection.Status.DONE,
            pages=result.pages,
            bookmarks=[list(b) for b in result.bookmarks],
            storage_name=name,
            error="",
        )
        total = locked.parts.count()
        done = locked.parts.filter(status=PackageSection.Status.DONE).count()
        Package.objects.filter(pk=package.pk, status=Package.Status.RENDERING).update(
            progress=5 + (85 * done) // max(total, 1), claimed_at=timezone.now()
        )
        if done == total and Package.objects.filter(
            pk=package.pk, status=Package.Status.RENDERING, assembling=False
        ).update(assembling=True):
            assemble_package.delay_on_commit(package.pk)


def package_part_failed(part_id: int, error: str) -> None:
    """A part failed for good (its retries are spent): the package fails and says why."""
    part = PackageSection.objects.filter(pk=part_id).select_related("package").first()
    if part is None:
        return
    PackageSection.objects.filter(pk=part_id).update(
        status=PackageSection.Status.FAILED, error=error[:2000]
    )
    package_render_failed(part.package_id, error)


def package_render_failed(package_id: int, error: str) -> None:
    with transaction.atomic():
        package = Package.objects.select_for_update().filter(pk=package_id).first()
        if package is None or package.status not in (
            Package.Status.QUEUED,
            Package.Status.RENDERING,
        ):
            return
        Package.objects.filter(pk=package_id).update(
            status=Package.Status.FAILED, error=error[:2000], assembling=False
        )
        audit_record(actor=None, action="package.failed", target=package)
        _notify(
            [package.decided_by] if package.decided_by else case_leads(package.case),
            gettext_lazy("Package {ref} failed to render"),
            package,
        )


def package_assemble(package_id: int) -> None:
    """Merges the parts, signs the PDF, stores it once and makes it downloadable."""
    from partners import packages as pipeline

    package = (
        Package.objects.select_related("case", "organisation", "requested_by", "decided_by")
        .filter(pk=package_id, status=Package.Status.RENDERING, assembling=True)
        .first()
    )
    if package is None:
        return  # done, revoked, or not ready for merging
    reason = _undeliverable_reason(package)
    if reason:
        _stop_undeliverable(package, reason)
        return
    parts = list(package.parts.order_by("index"))
    if any(part.status != PackageSection.Status.DONE for part in parts):
        return
    unsigned_path = _temporary_path(".pdf")
    signed_path = _temporary_path(".pdf")
    handles: list[IO[bytes]] = []
    try:
        for part in parts:
            handles.append(default_storage.open(part.storage_name, "rb"))
        inputs = [
            (pipeline.PartResult(pages=p.pages, bookmarks=[tuple(b) for b in p.bookmarks]), h)
            for p, h in zip(parts, handles, strict=True)
        ]
        with open(unsigned_path, "wb") as out:
            pages = pipeline.assemble(package, inputs, out)
        with open(unsigned_path, "rb") as unsigned, open(signed_path, "wb") as out:
            pipeline.sign(unsigned, out)
        digest, size = sha256_and_size(signed_path)
        with open(signed_path, "rb") as signed:  # moved into place by a rename
            name = _store(FileOnDisk(signed, name=signed_path), f"packages/{package.uid}.pdf")
    finally:
        for handle in handles:
            handle.close()
        _unlink(unsigned_path)
        _unlink(signed_path)
    now = timezone.now()
    with transaction.atomic():
        updated = Package.objects.filter(pk=package.pk, status=Package.Status.RENDERING).update(
            status=Package.Status.READY,
            pdf=name,
            sha256=digest,
            size=size,
            pages=pages,
            rendered_at=now,
            expires_at=now + timedelta(days=settings.CUSTOS_PACKAGE_DAYS),
            progress=100,
            assembling=False,
            error="",
        )
        if not updated:  # revoked while merging: the file goes
            transaction.on_commit(lambda: _delete_quietly(name))
            return
        package.refresh_from_db()
        audit_record(
            actor=None,
            action="package.rendered",
            target=package,
            details={"sha256": digest, "pages": pages, "size": size},
        )
        part_names = [part.storage_name for part in parts if part.storage_name]
        transaction.on_commit(lambda: [_delete_quietly(n) for n in part_names])
        _notify(
            [*_concerned(package), *([package.decided_by] if package.decided_by else [])],
            gettext_lazy("Package {ref} is ready to download"),
            package,
        )


def packages_requeue_stuck() -> int:
    """Periodic: a package whose worker died (or whose message was lost) is queued again;
    one that has used up its attempts fails and says so."""
    from partners.tasks import render_package

    stale = timezone.now() - STUCK_AFTER
    _remove_stale_temporaries(stale.timestamp())
    stuck = Package.objects.filter(
        status__in=[Package.Status.RENDERING, Package.Status.QUEUED], claimed_at__lt=stale
    )
    count = 0
    for package in stuck[:200]:
        if package.attempts >= MAX_ATTEMPTS:
            package_render_failed(package.pk, _("Rendering was attempted too many times."))
            continue
        with transaction.atomic():
            PackageSection.objects.filter(
                package=package, status=PackageSection.Status.RENDERING, claimed_at__lt=stale
            ).update(status=PackageSection.Status.PENDING)
            moved = Package.objects.filter(
                pk=package.pk, status__in=[Package.Status.RENDERING, Package.Status.QUEUED]
            ).update(status=Package.Status.QUEUED, assembling=False, claimed_at=timezone.now())
            if moved:
                audit_record(actor=None, action="package.requeued", target=package)
                render_package.delay_on_commit(package.pk)
                count += 1
    return count

"""The package worker's state machine, in the order a package goes through it.

An approval leaves the package ``queued`` (``services``). Then, each step a Celery task
(``partners.packages.tasks``) that claims its work with a conditional update, so that a
message delivered twice does nothing the second time:

1. ``package_render_start``: claims the package (``rendering``), stops it if the case is no
   longer shared, records what the PDF will name, plans its parts and queues each one.
2. ``package_part_render``: renders one part (on any free worker); the worker finishing the
   last part queues the merge.
3. ``package_assemble``: merges the parts, signs the PDF, stores it once: ``ready``.
4. ``package_part_failed`` / ``package_render_failed``: retries spent, the package ``failed``
   and says why (a lead may retry it).
5. ``packages_requeue_stuck`` (periodic): a package whose worker died is queued again.
6. ``package_expire_due`` (periodic): past its download period, ``expired``, its file removed.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from custos import jobs
from custos.files import FileOnDisk, sha256_and_size
from partners.models import Package, PackageSection
from partners.packages import pdf
from partners.packages.selectors import case_leads
from partners.packages.state import (
    concerned,
    file_delete_quietly,
    package_close,
    package_lock,
    package_notify,
    package_share_in_force,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A package is claimed by the planner (its attempts count those claims) and by the merge; its
# parts by the workers rendering them. Both hold their claim for ``jobs.PACKAGE.lease``:
# past it, the periodic sweep presumes the worker dead and queues the package again.
PACKAGE_JOB = jobs.JobKind(
    model=Package,
    limits=jobs.PACKAGE,
    pending=Package.Status.QUEUED,
    running=Package.Status.RENDERING,
    failed=Package.Status.FAILED,
)
PACKAGE_PART_JOB = jobs.JobKind(
    model=PackageSection,
    limits=jobs.PACKAGE,
    pending=PackageSection.Status.PENDING,
    running=PackageSection.Status.RENDERING,
    failed=PackageSection.Status.FAILED,
    bounded=False,  # bounded by Celery's retries of its message and its package's attempts
)


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


def _delete_all(names: list[str]) -> None:
    for name in names:
        file_delete_quietly(name)


def _unlink(path: str) -> None:
    if path and os.path.exists(path):
        os.unlink(path)


def _undeliverable_reason(package: Package) -> StrOrPromise:
    """Why a package must not be rendered any more, or "" when it still may be."""
    if package.status != Package.Status.RENDERING:
        return "status"
    if (
        package.organisation_id
        and package_share_in_force(package.case, package.organisation_id) is None
    ):
        return gettext_lazy("The case is no longer shared with the recipient organisation.")
    return ""


def _stop_undeliverable(package: Package, reason: StrOrPromise) -> None:
    """A revocation happened between queueing and rendering: nothing is rendered."""
    with transaction.atomic():
        package = package_lock(package)
        if package.status != Package.Status.RENDERING:
            return
        package_close(package, Package.Status.REVOKED, actor=None, reason=str(reason))
        audit_record(actor=None, action="package.stopped", target=package)
        package_notify(
            [*case_leads(package.case), *concerned(package)],
            gettext_lazy("Package {ref} was not rendered"),
            package,
        )


def package_render_start(package_id: int) -> None:
    """Claims a queued package, plans its parts and queues them (or the merge, when every
    part is already rendered: a package recovered after its worker died)."""
    from partners.packages.tasks import assemble_package, render_package_part

    now = timezone.now()
    if not jobs.claim(PACKAGE_JOB, package_id):
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
            from partners.packages.pdf import content

            Package.objects.filter(pk=package.pk).update(
                printed_persons=content.printed_person_ids(package),
                printed_file_items=content.printed_file_item_ids(package),
            )
        if not package.parts.exists():
            plans = pdf.plan_parts(package)
            PackageSection.objects.bulk_create(
                PackageSection(package=package, index=i, key=plan.key, params=plan.params)
                for i, plan in enumerate(plans)
            )
        else:
            # Parts a dead worker had claimed are rendered again; finished ones are kept.
            failed = package.parts.filter(status=PackageSection.Status.FAILED)
            orphaned = jobs.stuck(PACKAGE_PART_JOB, now).filter(package=package)
            (failed | orphaned).update(status=PackageSection.Status.PENDING)
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
    from partners.packages.tasks import assemble_package

    if not jobs.claim(PACKAGE_PART_JOB, part_id, package__status=Package.Status.RENDERING):
        return
    part = PackageSection.objects.select_related("package__case", "package__organisation").get(
        pk=part_id
    )
    package = part.package
    # A part is small by design (the plan splits long sections): it renders in memory, so a
    # worker killed mid-render leaves no file behind; the part is stored once rendered.
    out = io.BytesIO()
    try:
        result = pdf.render_part(package, pdf.PartPlan(key=part.key, params=part.params), out)
        name = _store(
            ContentFile(out.getvalue()), f"packages/parts/{package.uid}/{part.index:05d}.pdf"
        )
    except BaseException:
        jobs.release(PACKAGE_PART_JOB, part_id)
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
        package_notify(
            [package.decided_by] if package.decided_by else case_leads(package.case),
            gettext_lazy("Package {ref} failed to render"),
            package,
        )


def package_assemble(package_id: int) -> None:
    """Merges the parts, signs the PDF, stores it once and makes it downloadable."""

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
    handles: list[BinaryIO] = []
    try:
        for part in parts:
            # Django's File proxies the binary file it opened.
            handles.append(cast(BinaryIO, default_storage.open(part.storage_name, "rb")))
        inputs = [
            (pdf.PartResult(pages=p.pages, bookmarks=[tuple(b) for b in p.bookmarks]), h)
            for p, h in zip(parts, handles, strict=True)
        ]
        with open(unsigned_path, "wb") as out:
            pages = pdf.assemble(package, inputs, out)
        with open(unsigned_path, "rb") as unsigned, open(signed_path, "wb") as out:
            pdf.sign(unsigned, out)
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
            transaction.on_commit(lambda: file_delete_quietly(name))
            return
        package.refresh_from_db()
        audit_record(
            actor=None,
            action="package.rendered",
            target=package,
            details={"sha256": digest, "pages": pages, "size": size},
        )
        part_names = [part.storage_name for part in parts if part.storage_name]
        transaction.on_commit(lambda: _delete_all(part_names))
        package_notify(
            [*concerned(package), *([package.decided_by] if package.decided_by else [])],
            gettext_lazy("Package {ref} is ready to download"),
            package,
        )


def packages_requeue_stuck() -> int:
    """Periodic: a package whose worker died (or whose message was lost) is queued again;
    one that has used up its attempts fails and says so."""
    from partners.packages.tasks import render_package

    now = timezone.now()
    _remove_stale_temporaries(jobs.lease_cutoff(PACKAGE_JOB, now).timestamp())
    late = jobs.stuck(PACKAGE_JOB, now) | jobs.overdue(PACKAGE_JOB, now)
    count = 0
    for package in late[: jobs.PACKAGE.batch]:
        if jobs.exhausted(PACKAGE_JOB, package.attempts):
            package_render_failed(package.pk, _("Rendering was attempted too many times."))
            continue
        with transaction.atomic():
            jobs.stuck(PACKAGE_PART_JOB, now).filter(package=package).update(
                status=PackageSection.Status.PENDING
            )
            moved = Package.objects.filter(
                pk=package.pk, status__in=[Package.Status.RENDERING, Package.Status.QUEUED]
            ).update(status=Package.Status.QUEUED, assembling=False, claimed_at=timezone.now())
            if moved:
                audit_record(actor=None, action="package.requeued", target=package)
                render_package.delay_on_commit(package.pk)
                count += 1
    return count


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
        package_close(package, Package.Status.EXPIRED, actor=None, reason="")
        audit_record(actor=None, action="package.expired", target=package)
        package_notify(
            concerned(package),
            gettext_lazy("Package {ref} has expired"),
            package,
        )
    return len(due)

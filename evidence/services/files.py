"""Writes about the files of items: attaching a file (its bytes stored once, by content, and
the file bound into the item's custody chain) and approving a redacted copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from evidence import access, custody
from evidence.models import CustodyEvent, EvidenceFile, EvidenceItem, StoredBlob
from evidence.services.common import custody_details, lock_item, require
from evidence.storage import blob_discard, blob_put
from evidence.uploads import HashedUpload, safe_filename

T = TypeVar("T")
Kind = CustodyEvent.Kind
Status = EvidenceItem.Status


@dataclass(frozen=True)
class FileAdded:
    file: EvidenceFile
    duplicate_of: EvidenceFile | None  # the same bytes were already in this case


def check_upload(upload: HashedUpload | None) -> HashedUpload:
    if upload is None:
        raise ValidationError({"upload": _("Choose a file to upload.")})
    if upload.size == 0:
        raise ValidationError({"upload": _("The file is empty.")})
    return upload


def file_create(
    *,
    item: EvidenceItem,
    actor: User,
    upload: HashedUpload,
    blob: StoredBlob,
    role: str,
    derived_from: EvidenceFile | None,
    method: str,
) -> FileAdded:
    if role == EvidenceFile.Role.ORIGINAL and item.files.filter(role=role).exists():
        raise ValidationError({"role": _("This item already has its original file.")})
    if role != EvidenceFile.Role.ORIGINAL:
        if derived_from is None or derived_from.item_id != item.pk:
            raise ValidationError(
                {"derived_from": _("Say which file of this item it is derived from.")}
            )
        if not method.strip():
            raise ValidationError({"method": _("Describe how this file was derived.")})
    duplicate = (
        EvidenceFile.objects.filter(blob=blob, item__case_id=item.case_id)
        .select_related("item")
        .first()
    )
    file = EvidenceFile.objects.create(
        item=item,
        role=role,
        derived_from=derived_from,
        method=method,
        blob=blob,
        filename=safe_filename(upload.name),
        uploaded_by=actor,
    )
    # The file joins the item's chain: which file, which bytes, as what and under which name.
    event = custody.append(
        item,
        CustodyEvent(
            kind=Kind.FILE_ATTACHED,
            actor=actor,
            occurred_at=file.uploaded_at,
            file=file,
            file_sha256=blob.sha256,
            file_role=role,
            file_name=file.filename,
            notes=method,
        ),
    )
    audit_record(
        actor=actor,
        action="evidence.file_added",
        target=file,
        details={
            "sha256": blob.sha256,
            "size": blob.size,
            "role": role,
            **({"duplicate_of": duplicate.pk} if duplicate else {}),
            **custody_details(item, event),
        },
    )
    return FileAdded(file, duplicate)


def with_blob(upload: HashedUpload, write: Callable[[StoredBlob], T]) -> T:
    """Stores the upload's bytes, then runs ``write(blob)`` in a transaction; if that fails,
    the bytes stored for it are removed again: a failed upload leaves nothing behind."""
    blob, created = blob_put(upload)
    try:
        with transaction.atomic():
            return write(blob)
    except BaseException:
        if created:
            blob_discard(blob)
        raise
    finally:
        upload.close()


def file_add(
    *,
    item: EvidenceItem,
    actor: User,
    upload: HashedUpload | None,
    role: str,
    derived_from: EvidenceFile | None = None,
    method: str = "",
) -> FileAdded:
    require(actor, item.case, P.CONTRIBUTE)
    case_require_open(item.case)
    checked = check_upload(upload)
    if item.status == Status.DESTROYED:
        raise ValidationError(_("This item has been destroyed."))
    return with_blob(
        checked,
        lambda blob: file_create(
            item=lock_item(item),
            actor=actor,
            upload=checked,
            blob=blob,
            role=role,
            derived_from=derived_from,
            method=method,
        ),
    )


@transaction.atomic
def redaction_approve(*, file: EvidenceFile, actor: User) -> EvidenceFile:
    """A case lead who holds every identity the item identifies approves a redacted version:
    from then on it is served to the readers of the case who do not hold them
    (``evidence.access``)."""
    file = (
        EvidenceFile.objects.select_for_update()
        .select_related("item__case", "blob")
        .get(pk=file.pk)
    )
    item = file.item
    require(actor, item.case, P.CHANGE)
    case_require_open(item.case)
    if not access.reader_for_user(actor, item.case).may_read_item(access.identities_of(item)):
        raise PermissionDenied
    if file.role != EvidenceFile.Role.REDACTED:
        raise ValidationError(_("Only a redacted version can be approved."))
    if file.redaction_approved_at is not None:
        raise ValidationError(_("This redacted version is already approved."))
    file.redaction_approved_by = actor
    file.redaction_approved_at = timezone.now()
    file.save(update_fields=["redaction_approved_by", "redaction_approved_at"])
    audit_record(
        actor=actor,
        action="evidence.redaction_approved",
        target=file,
        details={"sha256": file.blob.sha256, "file": file.pk, "item": item.pk},
    )
    return file

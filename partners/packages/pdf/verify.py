"""Is this PDF a case package we issued, unchanged, with a valid signature?

The upload is hashed in chunks and looked up by the SHA-256 stored for every signed package.
A file whose hash is unknown may still be a changed copy of one of ours: its document
information names the package's uid (keywords ``custos-package-uid:<uid>``), which finds the
package it claims to be. The signature is validated with pyHanko, with our signing
certificate as the only trust root, and must cover the whole file. Garbage, a non-PDF or a
broken PDF gets a clear answer, never an exception.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from django.utils.translation import gettext as _

from partners.models import Package
from partners.packages.pdf.assemble import UID_KEYWORD

if TYPE_CHECKING:
    from pyhanko.pdf_utils.reader import PdfFileReader

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
UID_PATTERN = re.compile(re.escape(UID_KEYWORD) + r"([0-9a-fA-F-]{36})")


@dataclass(frozen=True)
class Verification:
    issued: bool
    hash_matches: bool
    signature_valid: bool
    package: Package | None
    reference: str
    recipient: str
    message: str  # translated, user-facing

    @property
    def authentic(self) -> bool:
        return self.issued and self.hash_matches and self.signature_valid


def _digest(file: BinaryIO) -> tuple[str, bytes]:
    digest = hashlib.sha256()
    head = b""
    while chunk := file.read(CHUNK):
        if len(head) < 1024:
            head += chunk[: 1024 - len(head)]
        digest.update(chunk)
    return digest.hexdigest(), head


def _claimed_uid(reader: PdfFileReader) -> uuid.UUID | None:
    try:
        info = reader.trailer_view["/Info"]  # indexing dereferences, .get() would not
        keywords = str(info["/Keywords"])
    except Exception:  # a broken information dictionary claims nothing
        return None
    match = UID_PATTERN.search(keywords)
    if not match:
        return None
    try:
        return uuid.UUID(match.group(1))
    except ValueError:
        return None


def _signature_valid(reader: PdfFileReader) -> bool:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from partners.packages.pdf.signing import signing_certificate

    signatures = reader.embedded_signatures
    if len(signatures) != 1:
        return False
    context = ValidationContext(trust_roots=[signing_certificate()], allow_fetching=False)
    status = validate_pdf_signature(signatures[0], context)
    return bool(status.bottom_line) and status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def _result(
    *,
    issued: bool,
    hash_matches: bool = False,
    signature_valid: bool = False,
    package: Package | None = None,
    message: str,
) -> Verification:
    return Verification(
        issued=issued,
        hash_matches=hash_matches,
        signature_valid=signature_valid,
        package=package,
        reference=package.reference if package else "",
        recipient=package.recipient if package else "",
        message=message,
    )


def _verify_seekable(file: BinaryIO) -> Verification:
    from pyhanko.pdf_utils.reader import PdfFileReader

    file.seek(0)
    sha256, head = _digest(file)
    if b"%PDF-" not in head:
        return _result(issued=False, message=_("This file is not a PDF."))
    package = Package.objects.filter(sha256=sha256).exclude(sha256="").first()
    hash_matches = package is not None
    file.seek(0)
    try:
        reader = PdfFileReader(file, strict=False)
        claimed = _claimed_uid(reader)
        signature_valid = _signature_valid(reader)
    except Exception as error:  # whatever a broken file makes the parser do
        logger.info("verify: unreadable PDF (%s)", type(error).__name__)
        if package is None:
            return _result(
                issued=False, message=_("This PDF cannot be read: it is damaged or not a PDF.")
            )
        claimed, signature_valid = None, False
    if package is None and claimed is not None:
        package = Package.objects.filter(uid=claimed).exclude(sha256="").first()
    if package is None:
        return _result(
            issued=False,
            message=_("This PDF is not a case package issued by this unit."),
        )
    values = {"reference": package.reference, "recipient": package.recipient}
    if hash_matches and signature_valid:
        message = _(
            "This is case package %(reference)s, issued to %(recipient)s. It is exactly the "
            "file issued, and its signature is valid."
        )
    elif hash_matches:
        message = _(
            "This is case package %(reference)s, issued to %(recipient)s, unchanged, but its "
            "signature could not be validated with the current signing certificate."
        )
    else:
        message = _(
            "This PDF claims to be case package %(reference)s, issued to %(recipient)s, but it "
            "is not the file issued: it has been changed. Do not rely on it."
        )
    return _result(
        issued=True,
        hash_matches=hash_matches,
        signature_valid=signature_valid,
        package=package,
        message=message % values,
    )


def verify(file: BinaryIO) -> Verification:
    """Checks an uploaded PDF (any readable binary file object); streams it, never raises
    for bad input."""
    if getattr(file, "seekable", lambda: False)():
        return _verify_seekable(file)
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as copy:
        shutil.copyfileobj(file, copy, CHUNK)
        return _verify_seekable(copy)  # type: ignore[arg-type]  # a binary file, unannotated

"""Assembling a case package: cover, contents, the parts, the marks on every page.

The cover and the table of contents are one WeasyPrint document rendered as PDF/A-3b with the
hash manifest attached (``AFRelationship /Data``, listed in the catalogue's ``/AF``): it is
the base of the final file, and carries its XMP metadata (``pdfaid``), its sRGB output
intent and its document information. The parts' pages are appended to it with pikepdf
(qpdf). Every page then gets the marks (classification, package reference and uid, a
watermark naming the recipient), drawn once as a form placed under the page's content, and
its "Page X of Y" label, one tiny WeasyPrint page per label placed into the footer. The
outline is rebuilt from the parts' headings at their final page numbers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partners.models import Package
from partners.packages.pdf import content
from partners.packages.pdf.render import PartResult, render_html

if TYPE_CHECKING:
    import pikepdf

TOC_LEVELS = 2  # headings deeper than this are in the outline only
UID_KEYWORD = "custos-package-uid:"


def marking(package: Package) -> str:
    """The classification the package is released at (after any recorded declassification),
    not the case's: an item classified above its case raises it."""
    return package.effective_classification_label.upper()


def metadata(package: Package) -> dict[str, str]:
    case = package.case
    return {
        "title": f"{package.reference} · {case.reference} · {case.title}",
        "author": str(_("War Crimes Unit")),
        "subject": _("%(purpose)s for %(recipient)s")
        % {
            "purpose": package.get_purpose_display(),
            "recipient": package.recipient,
        },
        "keywords": f"{UID_KEYWORD}{package.uid} {package.reference} {case.reference}",
    }


def front_html(package: Package, entries: list[tuple[int, str, int]], front_pages: int) -> str:
    """The cover and the contents (``entries`` at their page in the body, after
    ``front_pages`` pages of cover and contents)."""
    toc = [
        {"level": level, "label": label, "page": front_pages + index + 1}
        for level, label, index in entries
        if level <= TOC_LEVELS
    ]
    case = package.case
    meta = metadata(package)
    return render_to_string(
        "reports/package/front.html",
        {
            "package": package,
            "case": case,
            "marking": marking(package),
            "organisation": package.organisation.name if package.organisation else "",
            "requested_by": content.user_label(package.requested_by),
            "requested_at": content.iso(package.requested_at),
            "decided_by": content.user_label(package.decided_by),
            "decided_at": content.iso(package.decided_at),
            "issued_at": content.iso(timezone.now()),
            "section_labels": package.section_labels(),
            "toc": toc,
            "title": meta["title"],
            "author": meta["author"],
            "subject": meta["subject"],
            "keywords": meta["keywords"],
        },
    )


MM = 72 / 25.4  # PDF points per millimetre
# Where the "Page X of Y" label goes on an A4 page (see .stamp-label in package.css): at the
# end of the footer line, 16 mm from the edge, on the baseline of the footer's text (measured
# on the rendered stamp: 7 mm above the page's bottom edge).
LABEL_WIDTH, LABEL_HEIGHT, LABEL_EDGE, LABEL_BOTTOM = 60 * MM, 4 * MM, 16 * MM, 5.9 * MM


LABELS_PER_SHEET = 50


def _stamp_pdfs(package: Package, total: int) -> tuple[bytes, bytes]:
    """The marks of every page (one page, drawn once) and the ``total`` page labels, on
    sheets of ``LABELS_PER_SHEET`` (see ``_label_forms``: a page per label made the labels
    the slowest step of assembly)."""
    context: dict[str, Any] = {
        "package": package,
        "case": package.case,
        "marking": marking(package),
        "watermark": _("For %(recipient)s only") % {"recipient": package.recipient},
        "sheets": [
            [
                {"number": n, "top": (n - start) * 4}
                for n in range(start, min(total, start + LABELS_PER_SHEET - 1) + 1)
            ]
            for start in range(1, total + 1, LABELS_PER_SHEET)
        ],
        "sheet_height": LABELS_PER_SHEET * 4,
        "total": total,
    }
    stamp = render_html(render_to_string("reports/package/stamp.html", context))
    labels = render_html(render_to_string("reports/package/labels.html", context))
    if len(stamp.pages) != 1 or len(labels.pages) != len(context["sheets"]):
        raise RuntimeError(f"{len(labels.pages)} label sheets for {total} pages")
    return stamp.write_pdf(pdf_variant="pdf/a-3b"), labels.write_pdf(pdf_variant="pdf/a-3b")


def _label_forms(pdf: pikepdf.Pdf, labels: pikepdf.Pdf, total: int) -> list[pikepdf.Stream]:
    """One form XObject per page label, cut out of the label sheets: each form draws only the
    text runs of its own label (so that a page's text holds its own label, not the sheet's),
    clipped to its 4 mm row. WeasyPrint draws each text run as ``BT ... ET`` after a
    ``gs`` and an ``rg``, under two ``cm`` (flip, px to pt); runs are assigned to rows by
    their text matrix. The sheet's resources are shared by all its forms."""
    import pikepdf

    row_px = 4 * 96 / 25.4  # CSS px: the sheet's user space before its px-to-pt scaling
    forms: list[pikepdf.Stream] = []
    for sheet_index, sheet in enumerate(labels.pages):
        first = sheet_index * LABELS_PER_SHEET
        count = min(LABELS_PER_SHEET, total - first)
        prefix: list[Any] = []
        state: dict[str, Any] = {}
        rows: dict[int, list[Any]] = {}
        block: list[Any] | None = None
        row = None
        for instruction in pikepdf.parse_content_stream(sheet):
            operands, operator = instruction.operands, instruction.operator
            name = str(operator)
            if block is not None:
                block.append((operands, operator))
                if name == "Tm":
                    row = int(float(operands[5]) // row_px)
                elif name == "ET":
                    if row is None or not 0 <= row < count:
                        raise ValueError("a label outside its sheet")
                    rows.setdefault(row, []).append(
                        [(state[k], pikepdf.Operator(k)) for k in ("gs", "rg") if k in state]
                        + block
                    )
                    block, row = None, None
            elif name == "BT":
                block = [(operands, operator)]
            elif name == "cm" and not rows and "rg" not in state:
                prefix.append((operands, operator))
            elif name in ("gs", "rg"):
                state[name] = operands
        if sorted(rows) != list(range(count)):
            raise ValueError("label sheet rows do not match the labels")
        resources = pdf.copy_foreign(sheet.Resources)
        left, _bottom, right, top = (float(v) for v in sheet.mediabox)
        height = LABEL_HEIGHT
        for index in range(count):
            ops = [([], pikepdf.Operator("q")), *prefix]
            for run in rows[index]:
                ops += run
            ops.append(([], pikepdf.Operator("Q")))
            y = top - (index + 1) * height
            forms.append(
                pikepdf.Stream(
                    pdf,
                    pikepdf.unparse_content_stream(ops),
                    Type=pikepdf.Name.XObject,
                    Subtype=pikepdf.Name.Form,
                    BBox=[left, y, right, y + height],
                    Resources=resources,
                )
            )
    return forms


def _stamp(pdf: pikepdf.Pdf, stamp_pdf: bytes, labels_pdf: bytes, rtl: bool) -> list[pikepdf.Pdf]:
    """Puts the marks under, and the page label onto, every page of ``pdf``; returns the
    source documents, which must stay open until ``pdf`` is saved."""
    import pikepdf

    stamp = pikepdf.open(io.BytesIO(stamp_pdf))
    labels = pikepdf.open(io.BytesIO(labels_pdf))
    marks = pdf.copy_foreign(stamp.pages[0].as_form_xobject())
    forms = _label_forms(pdf, labels, len(pdf.pages))
    for page, label in zip(pdf.pages, forms, strict=True):
        box = page.mediabox
        left, bottom, right, top = (float(v) for v in box)
        # Under the content: the watermark must not hide text (the marks are in the margins).
        page.add_underlay(marks, pikepdf.Rectangle(left, bottom, right, top))
        x = left + LABEL_EDGE if rtl else right - LABEL_EDGE - LABEL_WIDTH
        y = bottom + LABEL_BOTTOM
        page.add_overlay(label, pikepdf.Rectangle(x, y, x + LABEL_WIDTH, y + LABEL_HEIGHT))
    return [stamp, labels]


def _outline(pdf: pikepdf.Pdf, items: list[tuple[int, str, int]]) -> None:
    import pikepdf

    with pdf.open_outline() as outline:
        outline.root.clear()
        stack: list[tuple[int, pikepdf.OutlineItem]] = []
        for level, label, page in items:
            item = pikepdf.OutlineItem(label, page)
            while stack and stack[-1][0] >= level:
                stack.pop()
            (stack[-1][1].children if stack else outline.root).append(item)
            stack.append((level, item))


def _producer(pdf: pikepdf.Pdf) -> None:
    """Names pyHanko as the producer, in the document information and in the XMP alike.

    PDF/A wants the two to agree, and pyHanko's signature (an incremental update) sets the
    XMP producer to its own name while it only appends its name to an information producer
    that lacks it: set both to what they will be after signing."""
    from pyhanko.pdf_utils.metadata.model import VENDOR

    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdf:Producer"] = VENDOR
    pdf.docinfo["/Producer"] = VENDOR


def assemble(package: Package, parts: Sequence[tuple[PartResult, BinaryIO]], out: BinaryIO) -> int:
    """Cover + contents + parts, stamped, with outline, metadata and the attached manifest,
    as PDF/A-3b, written UNSIGNED to ``out``. Returns the page count."""
    import pikepdf
    from weasyprint import Attachment

    entries: list[tuple[int, str, int]] = []
    offset = 0
    for result, _stream in parts:
        entries += [(level, label, offset + index) for level, label, index in result.bookmarks]
        offset += result.pages
    body_pages = offset

    with translation.override(package.language):
        # The contents' length moves every page number after it: lay it out until stable.
        front_pages = 2
        for _attempt in range(5):
            front = render_html(front_html(package, entries, front_pages))
            if len(front.pages) == front_pages:
                break
            front_pages = len(front.pages)
        else:  # pragma: no cover - a contents page count that never settles
            raise RuntimeError("the table of contents does not settle")
        manifest = Attachment(
            string=content.manifest_bytes(package),
            name=content.manifest_filename(package),
            description=_("Hash manifest of %(reference)s") % {"reference": package.reference},
            relationship="Data",
        )
        front_pdf = front.write_pdf(pdf_variant="pdf/a-3b", attachments=[manifest])
        total = front_pages + body_pages
        stamp_pdf, labels_pdf = _stamp_pdfs(package, total)
        rtl = translation.get_language_bidi()
        outline = [
            (1, _("Cover"), 0),
            (1, _("Contents"), 1),
            *[(level, label, front_pages + index) for level, label, index in entries],
        ]

    pdf = pikepdf.open(io.BytesIO(front_pdf))
    sources: list[pikepdf.Pdf] = []
    try:
        for result, stream in parts:
            stream.seek(0)
            source = pikepdf.open(stream)
            sources.append(source)
            if len(source.pages) != result.pages:
                raise ValueError(
                    f"a part has {len(source.pages)} pages but its result says {result.pages}"
                )
            pdf.pages.extend(source.pages)
        sources += _stamp(pdf, stamp_pdf, labels_pdf, rtl)
        _outline(pdf, outline)
        _producer(pdf)
        pdf.save(out)
        return len(pdf.pages)
    finally:
        for source in sources:
            source.close()
        pdf.close()

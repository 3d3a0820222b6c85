"""Rendering a case package's body in parts, each an independent PDF.

``plan_parts`` cuts the body into parts of bounded size (long sections such as the evidence
register and the custody log are chunked), so that parts can render on several workers at
once with bounded memory: WeasyPrint's layout of a long table grows faster than its length.
``render_part`` renders one part, in the package's language, through ``custos/pdf.py``'s
fetcher, from ``templates/reports/package/part_<key>.html``. The cover, the table of contents
and the marks on every page are added by ``assemble``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from custos.pdf import SafeURLFetcher, static_file_url
from evidence.models import EvidenceFile, EvidenceItem
from evidence.proof import matrix_rows_for_export
from partners.models import Package
from partners.packages.pdf import content

STYLESHEET = "reports/package.css"

# Part sizes, measured with bench/package.py on a 2-core machine: small enough that
# WeasyPrint's table layout stays near-linear and a worker stays well under 1 GiB, large
# enough that the per-part overhead (fonts, stylesheet) stays small.
EVIDENCE_PER_PART = 200
CUSTODY_EVENTS_PER_PART = 300
CUSTODY_ITEMS_PER_PART = 60
ALLEGATIONS_PER_PART = 10
ANNEX_ITEMS_PER_PART = 400
ANNEX_WIDTH = 118  # characters per printed line of the manifest


@dataclass(frozen=True)
class PartPlan:
    """One independently renderable chunk of the body, in document order."""

    key: str
    params: dict


@dataclass(frozen=True)
class PartResult:
    pages: int
    bookmarks: list[tuple[int, str, int]]  # (level, label, page index within the part)


def _chunks(total: int, size: int) -> list[dict]:
    if total == 0:
        return [{"offset": 0, "limit": size}]
    return [{"offset": start, "limit": size} for start in range(0, total, size)]


def _custody_chunks(package: Package) -> list[dict]:
    """Consecutive runs of items holding about ``CUSTODY_EVENTS_PER_PART`` events."""
    counts = content.scoped_items(package).annotate(
        n=Count(
            "custody_events",
            filter=Q(custody_events__recorded_at__lte=content.snapshot_time(package)),
        )
    )
    chunks: list[dict] = []
    start = events = items = 0
    for index, n in enumerate(counts.values_list("n", flat=True)):
        if items and (events + n > CUSTODY_EVENTS_PER_PART or items >= CUSTODY_ITEMS_PER_PART):
            chunks.append({"offset": start, "limit": items})
            start, events, items = index, 0, 0
        events += n
        items += 1
    if items or not chunks:
        chunks.append({"offset": start, "limit": max(items, 1)})
    return chunks


def plan_parts(package: Package) -> list[PartPlan]:
    """The parts of the package's body, in document order (cover and contents excluded)."""
    chosen = set(package.sections)
    plans: list[PartPlan] = []
    for key in Package.Section.values:
        if key not in chosen:
            continue
        if key == Package.Section.ALLEGATIONS:
            total = content.scoped_allegations(package).count()
            plans += [PartPlan(key, p) for p in _chunks(total, ALLEGATIONS_PER_PART)]
        elif key == Package.Section.EVIDENCE:
            total = content.scoped_items(package).count()
            plans += [PartPlan(key, p) for p in _chunks(total, EVIDENCE_PER_PART)]
        elif key == Package.Section.CUSTODY:
            plans += [PartPlan(key, p) for p in _custody_chunks(package)]
        elif key == Package.Section.INTEGRITY:
            plans.append(PartPlan(key, {}))
            total = content.scoped_items(package).count()
            plans += [PartPlan("annex", p) for p in _chunks(total, ANNEX_ITEMS_PER_PART)]
        else:
            plans.append(PartPlan(key, {}))
    return plans


# --- Contexts of the part templates ------------------------------------------------------------


def _summary(package: Package, params: dict) -> dict:
    return {"crimes": list(package.case.crimes.order_by("article"))}


def _chronology(package: Package, params: dict) -> dict:
    return {"incidents": list(content.incidents(package))}


def _allegations(package: Package, params: dict) -> dict:
    offset, limit = params.get("offset", 0), params.get("limit", ALLEGATIONS_PER_PART)
    labels = content.person_labels(package)
    allegations = content.scoped_allegations(package).select_related("case")[
        offset : offset + limit
    ]
    return {
        "first": offset == 0,
        "sections": [matrix_rows_for_export(a, None, labels=labels) for a in allegations],
    }


def _persons(package: Package, params: dict) -> dict:
    return {"persons": content.person_entries(package)}


def _capture(item: EvidenceItem) -> list[tuple[str, str]]:
    """An open-source item's capture record (Berkeley Protocol), as printed: label, value."""
    if item.kind != EvidenceItem.Kind.OPEN_SOURCE:
        return []
    fields = [
        (_("Source URL"), item.capture_url),
        (_("Captured on"), content.iso(item.capture_time)),
        (_("Capture tool"), item.capture_tool),
        (_("Collector"), item.capture_collector),
        (_("Platform"), item.capture_platform),
        (_("Account"), item.capture_account),
        (_("Published on"), content.iso(item.capture_published_at)),
    ]
    return [(label, value) for label, value in fields if value]


def _evidence(package: Package, params: dict) -> dict:
    offset, limit = params.get("offset", 0), params.get("limit", EVIDENCE_PER_PART)
    items = content.item_slice(package, offset, limit)
    files = content.files_by_item(package, [item.pk for item in items])
    withheld = content.withheld_file_ids(package, files)
    labels = content.person_labels(package) if any(i.source_person_id for i in items) else {}
    roles = dict(EvidenceFile.Role.choices)
    rows = []
    for item in items:
        if item.source_kind == EvidenceItem.SourceKind.PERSON and item.source_person_id:
            source = labels.get(item.source_person_id, "")
        else:
            source = item.source_text
        rows.append(
            {
                "item": item,
                "source": source,
                "collected": content.iso(item.collected_at),
                "registered": content.iso(item.created_at),
                "capture": _capture(item),
                "files": [
                    {
                        "name": "" if f.pk in withheld else f.filename,
                        "withheld": f.pk in withheld,
                        "role": roles.get(f.role, f.role),
                        "size": f.blob.size,
                        "sha": content.hash_text(f.blob.sha256),
                    }
                    for f in files[item.pk]
                ],
            }
        )
    return {
        "first": offset == 0,
        "rows": rows,
        "last_exhibit": items[-1].exhibit if items else "",
    }


def _custody(package: Package, params: dict) -> dict:
    offset, limit = params.get("offset", 0), params.get("limit", CUSTODY_ITEMS_PER_PART)
    items = content.item_slice(package, offset, limit)
    kinds = dict(content.CustodyEvent.Kind.choices)
    events: dict[int, list[dict]] = {item.pk: [] for item in items}
    for event in content.custody_events(package, list(events)):
        events[event.item_id].append(
            {
                "seq": event.seq,
                "kind": kinds.get(event.kind, event.kind),
                "occurred": content.iso(event.occurred_at),
                "actor": content.user_label(event.actor),
                "source": content.user_label(event.from_user) or event.from_external,
                "target": content.user_label(event.to_user) or event.to_external,
                "location": event.location,
                "purpose": event.purpose,
                "prev": content.hash_text(event.prev_hash),
                "hash": content.hash_text(event.hash),
            }
        )
    return {
        "first": offset == 0,
        "items": [{"item": item, "events": events[item.pk]} for item in items],
        "last_exhibit": items[-1].exhibit if items else "",
    }


def _integrity(package: Package, params: dict) -> dict:
    items = content.scoped_items(package)
    snapshot = content.snapshot_time(package)
    return {
        "unit": _("the War Crimes Unit"),
        "snapshot": content.iso(snapshot),
        "manifest_name": content.manifest_filename(package),
        "manifest_sha": content.hash_text(content.manifest_sha256(package)),
        "item_count": items.count(),
        "file_count": EvidenceFile.objects.filter(
            item__in=items, uploaded_at__lte=snapshot
        ).count(),
        "event_count": content.CustodyEvent.objects.filter(
            item__in=items, recorded_at__lte=snapshot
        ).count(),
    }


def fold(line: str, width: int = ANNEX_WIDTH) -> list[dict]:
    """A manifest line cut into printed lines of at most ``width`` characters."""
    pieces = textwrap.wrap(
        line, width, break_long_words=True, break_on_hyphens=False, drop_whitespace=False
    ) or [""]
    return [{"text": piece, "cont": n > 0} for n, piece in enumerate(pieces)]


def _annex(package: Package, params: dict) -> dict:
    offset, limit = params.get("offset", 0), params.get("limit", ANNEX_ITEMS_PER_PART)
    lines = [
        printed for line in content.manifest_lines(package, offset, limit) for printed in fold(line)
    ]
    return {
        "first": offset == 0,
        "lines": lines,
        "width": ANNEX_WIDTH,
        "manifest_name": content.manifest_filename(package),
    }


CONTEXTS = {
    "summary": _summary,
    "chronology": _chronology,
    "allegations": _allegations,
    "persons": _persons,
    "evidence": _evidence,
    "custody": _custody,
    "integrity": _integrity,
    "annex": _annex,
}


# --- WeasyPrint ------------------------------------------------------------------------------


def stylesheet(font_config: Any) -> Any:
    from weasyprint import CSS

    return CSS(
        url=static_file_url(STYLESHEET), url_fetcher=SafeURLFetcher(), font_config=font_config
    )


# The parsed stylesheet and its fonts, loaded once per worker process: a package renders in
# dozens of parts, and parsing the stylesheet and loading the fonts for each was a large share
# of a small part's time.
_STYLE: tuple[Any, Any] | None = None  # WeasyPrint ships no types


def _style() -> tuple[Any, Any]:
    global _STYLE
    if _STYLE is None:
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        _STYLE = (font_config, stylesheet(font_config))
    return _STYLE


def render_html(html: str) -> Any:
    """Lays out ``html`` (no base URL: relative references resolve to nothing) with the
    package stylesheet; returns WeasyPrint's document."""
    from weasyprint import HTML

    font_config, css = _style()
    return HTML(string=html, url_fetcher=SafeURLFetcher()).render(
        stylesheets=[css], font_config=font_config, pdf_variant="pdf/a-3b"
    )


def bookmarks_of(document: Any) -> list[tuple[int, str, int]]:
    return [
        (level, label, index)
        for index, page in enumerate(document.pages)
        for level, label, _target, _state in page.bookmarks
    ]


def part_html(package: Package, plan: PartPlan) -> str:
    if plan.key not in CONTEXTS:
        raise ValueError(f"Unknown package part {plan.key!r}")
    with translation.override(package.language):
        context = {"package": package, "case": package.case}
        context.update(CONTEXTS[plan.key](package, plan.params))
        return render_to_string(f"reports/package/part_{plan.key}.html", context)


def render_part(package: Package, plan: PartPlan, out: BinaryIO) -> PartResult:
    """Renders one part to a PDF (PDF/A-3b-compatible) into ``out``; returns its page count
    and its headings (for the contents and the outline)."""
    document = render_html(part_html(package, plan))
    result = PartResult(pages=len(document.pages), bookmarks=bookmarks_of(document))
    document.write_pdf(out, pdf_variant="pdf/a-3b")
    return result

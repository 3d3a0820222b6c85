"""The one CSV writer of every export.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is what a
spreadsheet runs as a formula (``=HYPERLINK(...)`` sends the reader's data elsewhere): it is
written with a leading ``'``, which spreadsheets show as text (OWASP's rule for CSV
injection). Every cell goes through it, headers and numbers included, so no export has to
remember which of its columns a user typed. Rows stream to the client as they are written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """The text of one cell, kept as text by a spreadsheet."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file that hands back what the csv module writes to it, one row at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Each row as one CSV line, every cell neutralised."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(rows: Iterable[Iterable[Any]], *, filename: str) -> StreamingHttpResponse:
    """A CSV download of ``rows`` (the header first), streamed. ``filename`` must be safe in
    a header (the callers build it from references and ids)."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

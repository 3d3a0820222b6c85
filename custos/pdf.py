"""The one way Custos lets WeasyPrint fetch anything: ``SafeURLFetcher``.

Whatever a print template contains (and user text is escaped, so it should contain nothing
surprising), the renderer may read only

* ``data:`` URLs, and
* ``file:`` URLs of regular files inside the project's static directories
  (``STATICFILES_DIRS`` and ``STATIC_ROOT``), after resolving symbolic links, so that neither
  ``..`` nor a link can lead outside them.

Everything else is refused: http(s) (no server-side request forgery, not even to
``169.254.169.254``), ftp, ``file:`` outside the static directories, a ``file:`` URL naming a
host, and redirects (there is nothing left to redirect). A refusal is an ordinary fetch error:
WeasyPrint logs it and leaves the resource out, the document still renders.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url


def static_roots() -> list[Path]:
    """The project's static directories, resolved (those that exist)."""
    roots = [Path(p) for p in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots if root.is_dir()]


def static_file_url(relative: str) -> str:
    """The ``file:`` URL of a file of the project's static directories (first match)."""
    for root in static_roots():
        candidate = root / relative
        if candidate.is_file():
            return path2url(str(candidate))
    raise FileNotFoundError(relative)


class SafeURLFetcher(URLFetcher):
    """A ``weasyprint.URLFetcher`` for ``data:`` URLs and the static directories only.

    ``roots`` overrides the directories files may be read from; ``roots=()`` allows
    ``data:`` URLs only (the training certificate).
    """

    def __init__(self, roots: Iterable[str | os.PathLike] | None = None, **kwargs: object):
        kwargs.update(allowed_protocols=("data", "file"), allow_redirects=False)
        kwargs.setdefault("timeout", 5)
        super().__init__(**kwargs)
        self._roots = static_roots() if roots is None else [Path(root).resolve() for root in roots]

    def _refuse(self, url: str) -> ValueError:
        allowed = (
            "only data: URLs and the project's static files" if self._roots else ("only data: URLs")
        )
        return ValueError(f"Refused to fetch {url[:80]!r}: {allowed} are allowed")

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        try:
            parts = urlsplit(url)
        except ValueError:
            raise self._refuse(url) from None
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file" and self._roots:
            path = self._static_path(parts.netloc, parts.path)
            if path is not None:
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path2url(str(path)),
                    body=path.read_bytes(),
                    headers={"Content-Type": content_type},
                )
        raise self._refuse(url)

    def _static_path(self, host: str, raw_path: str) -> Path | None:
        if host not in ("", "localhost"):
            return None
        path = unquote(raw_path)
        if "\x00" in path or ".." in Path(path).parts:
            return None
        try:
            real = Path(path).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not real.is_file():
            return None
        if not any(real.is_relative_to(root) for root in self._roots):
            return None
        return real

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)

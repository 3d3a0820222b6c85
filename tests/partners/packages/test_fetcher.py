"""custos/pdf.py: WeasyPrint may read data: URLs and the project's static files, nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from custos.pdf import SafeURLFetcher, static_file_url


def test_data_urls_are_fetched() -> None:
    response = SafeURLFetcher().fetch("data:text/plain,hello")
    assert response.read() == b"hello"


def test_static_files_are_fetched() -> None:
    response = SafeURLFetcher().fetch(static_file_url("reports/package.css"))
    assert b"@font-face" in response.read()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/logo.png",
        "http://127.0.0.1:8000/admin/",
        "ftp://example.org/file",
        "gopher://example.org/",
        "file://example.org/etc/passwd",
    ],
)
def test_everything_else_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="only data: URLs and the project's static files"):
        SafeURLFetcher().fetch(url)


def test_dot_dot_out_of_the_static_directory_is_refused() -> None:
    css = static_file_url("reports/package.css")
    escape = css.replace("reports/package.css", "../../../../../../etc/passwd")
    with pytest.raises(ValueError, match="only data: URLs"):
        SafeURLFetcher().fetch(escape)


def test_a_symlink_out_of_the_static_directory_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.css").write_text("p {}")
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    os.symlink(secret, root / "link.css")
    fetcher = SafeURLFetcher(roots=[root])
    assert fetcher.fetch((root / "ok.css").as_uri()).read() == b"p {}"
    with pytest.raises(ValueError, match="only data: URLs"):
        fetcher.fetch((root / "link.css").as_uri())


def test_without_roots_only_data_urls_are_allowed() -> None:
    with pytest.raises(ValueError, match="only data: URLs are allowed"):
        SafeURLFetcher(roots=()).fetch(static_file_url("reports/package.css"))

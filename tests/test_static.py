"""Static files are served by WhiteNoise straight from the source folders (no collectstatic
outside production): the project's own and the vendored ones, with their bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.responses import streamed

STATIC = Path(settings.BASE_DIR) / "static"


@pytest.mark.parametrize(
    "path", ["css/custos.css", "js/upload.js", "vendor/axe-core/axe.min.js", "vendor/VERSIONS"]
)
def test_static_files_are_served_from_the_source_folders(client: Client, path: str) -> None:
    response = client.get(f"/static/{path}")
    assert response.status_code == 200
    assert streamed(response) == (STATIC / path).read_bytes()


def test_a_missing_static_file_is_a_404(client: Client, db: None) -> None:
    assert client.get("/static/css/no-such-file.css").status_code == 404

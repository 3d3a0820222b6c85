"""/healthz: reachability of the database, the broker and file storage, without login."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import pytest
from django.test import Client

from custos.celery import app


def test_healthy_system_reports_ok_without_login(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


def test_a_broker_that_is_down_is_reported(client: Client, db: None, monkeypatch) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.conf, "broker_write_url", None)
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == "down"
    assert body["checks"]["database"] == "ok"
    assert "127.0.0.1:1" not in response.content.decode()  # no configuration leaks out


def test_unwritable_file_storage_is_reported(
    client: Client, db: None, settings, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage folder should be")
    settings.MEDIA_ROOT = str(blocker)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "down"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_is_read_only(client: Client, db: None, method: str) -> None:
    assert getattr(client, method)("/healthz").status_code == 405


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root``, with its size and modification time."""
    if not root.exists():
        return {}
    return {str(path): (path.stat().st_size, path.stat().st_mtime_ns) for path in root.rglob("*")}


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_anonymous_calls_write_nothing(client: Client, db: None, settings) -> None:
    """Anyone may call /healthz as often as they like: no file, no folder, no row."""
    media, var = Path(settings.MEDIA_ROOT), Path(settings.VAR_DIR)
    media.mkdir(parents=True, exist_ok=True)
    before = (_tree(media), _tree(var), _row_counts())
    for _ in range(3):
        response = client.get("/healthz")
        assert response.json()["checks"]["storage"] == "ok"
    assert (_tree(media), _tree(var), _row_counts()) == before


def test_a_unit_admin_gets_the_deeper_storage_check(
    client: Client, unit_admin, settings, monkeypatch
) -> None:
    from django.core.files.storage import default_storage

    saved: list[str] = []
    real_save = default_storage.save

    def save(name: str, content: IO[Any]) -> str:
        saved.append(real_save(name, content))
        return saved[-1]

    monkeypatch.setattr(default_storage, "save", save)
    client.force_login(unit_admin)
    assert client.get("/healthz").json()["checks"]["storage"] == "ok"
    assert len(saved) == 1
    assert not default_storage.exists(saved[0])

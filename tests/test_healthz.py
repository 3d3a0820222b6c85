"""/healthz: reachability of the database, the broker and file storage, without login."""

from __future__ import annotations

from pathlib import Path

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

"""Settings are parsed from the environment; production refuses to start half-configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k3y-" + "x9Qz7Lm2Vb8Nc4Rt6Yw1Pa5Sd3Fg0Hj" * 2
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": GOOD_KEY,
    "DJANGO_ALLOWED_HOSTS": "custos.example.org",
    "DATABASE_URL": "postgres://custos:secret@db.internal:5432/custos",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp://mail.internal:25",
    "CUSTOS_BASE_URL": "https://custos.example.org",
    "CUSTOS_SIGNING_P12": "/run/secrets/custos-signing.p12",
}
SHOW = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "BROKER": settings.CELERY_BROKER_URL,
    "BROKER_OPTIONS": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "SSL_REDIRECT": getattr(settings, "SECURE_SSL_REDIRECT", False),
    "HSTS": settings.SECURE_HSTS_SECONDS,
    "SESSION_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_SECURE": settings.CSRF_COOKIE_SECURE,
    "REQUIRE_2FA": settings.CUSTOS_REQUIRE_2FA,
    "X_FRAME": settings.X_FRAME_OPTIONS,
    "MEDIA_ROOT": str(settings.MEDIA_ROOT),
}))
"""


def _run(env: dict[str, str], code: str = SHOW, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CUSTOS_"))
    }
    clean["DJANGO_SETTINGS_MODULE"] = "custos.settings"
    clean.update(env)
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def _settings(env: dict[str, str]) -> dict[str, Any]:
    result = _run(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_uses_sqlite_and_filesystem_broker_under_var(tmp_path: Path) -> None:
    values = _settings({"CUSTOS_VAR_DIR": str(tmp_path)})
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(tmp_path / "custos.sqlite3")
    assert values["BROKER"] == "filesystem://localhost//"
    assert values["BROKER_OPTIONS"]["data_folder_in"] == str(tmp_path / "broker" / "queue")
    assert (tmp_path / "broker" / "queue").is_dir()
    assert values["MEDIA_ROOT"] == str(tmp_path / "files")
    assert values["DEBUG"] is False
    assert values["REQUIRE_2FA"] is False


def test_database_and_broker_urls_switch_to_postgresql_and_redis(tmp_path: Path) -> None:
    values = _settings(
        {
            "CUSTOS_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://u:p@db.internal:5432/custos",
            "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        }
    )
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["HOST"] == "db.internal"
    assert values["BROKER"] == "redis://redis.internal:6379/0"
    # Redelivery of an unacknowledged task must come long after the longest task could end.
    assert values["BROKER_OPTIONS"]["visibility_timeout"] >= 2 * 30 * 60


def test_production_profile_is_hardened() -> None:
    values = _settings(PRODUCTION)
    assert values["DEBUG"] is False
    assert values["SSL_REDIRECT"] is True
    assert values["HSTS"] >= 31536000
    assert values["SESSION_SECURE"] is True
    assert values["CSRF_SECURE"] is True
    assert values["REQUIRE_2FA"] is True
    assert values["X_FRAME"] == "DENY"


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_naming_the_missing_variable(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _run(env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.parametrize("key", ["django-insecure-" + "a" * 60, "too-short-secret", "a" * 64])
def test_production_refuses_a_placeholder_secret_key(key: str) -> None:
    result = _run({**PRODUCTION, "DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be a real secret" in result.stderr


def test_unknown_environment_name_is_refused() -> None:
    result = _run({"DJANGO_ENV": "staging"})
    assert result.returncode != 0
    assert "DJANGO_ENV must be" in result.stderr


def test_deploy_check_passes_under_the_production_profile() -> None:
    result = _run(PRODUCTION, "", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

"""Each parallel test worker (pytest-xdist) gets state of its own, chosen before Django reads
its settings (tests/settings.py calls ``isolate()`` before importing custos/settings.py):

- **var directory**: ``CUSTOS_VAR_DIR`` (or ``var/``) + ``/test-gw<N>``, and so the SQLite
  file, stored files, upload temporaries, static root and filesystem broker under it; the
  ``CUSTOS_MEDIA_ROOT``/``CUSTOS_UPLOAD_TEMP_DIR``/``CUSTOS_STATIC_ROOT`` overrides, when set,
  get the same ``/test-gw<N>`` suffix;
- **Redis database**: a Redis ``CELERY_BROKER_URL`` ending in database ``D`` is given
  database ``D + N`` to worker ``gw<N>`` (queues, purges and the test workers' messages never
  meet); a run whose workers would need a database past 15 is refused;
- **test database**: pytest-django already names it ``test_<name>_gw<N>``.

Without xdist (``-n 0`` or no ``-n``) nothing changes. ``isolate()`` runs once per worker:
the processes a test starts (Celery workers) inherit the worker's environment as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

REDIS_DATABASES = 16
_BASE_DIR = Path(__file__).resolve().parent.parent
_DONE = "CUSTOS_TEST_WORKER_ISOLATED"


def worker_index() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return int(worker.removeprefix("gw")) if worker else None


def redis_url_for_worker(url: str, index: int) -> str:
    """``redis://host:port/D`` → ``redis://host:port/D+index`` (``D`` is 0 when absent)."""
    match = re.fullmatch(r"(?P<head>rediss?://[^/?#]*)(?:/(?P<db>\d*))?(?P<tail>[?#].*)?", url)
    if match is None:
        raise ValueError(f"not a Redis URL: {url!r}")
    db = int(match["db"] or 0) + index
    if db >= REDIS_DATABASES:
        raise ValueError(
            f"test worker gw{index} would use Redis database {db} of {url!r}: "
            f"choose a lower database in CELERY_BROKER_URL or fewer workers (-n)"
        )
    return f"{match['head']}/{db}{match['tail'] or ''}"


def _isolate(index: int) -> None:
    suffix = f"test-gw{index}"
    var = Path(os.environ.get("CUSTOS_VAR_DIR") or _BASE_DIR / "var")
    os.environ["CUSTOS_VAR_DIR"] = str(var / suffix)
    for name in ("CUSTOS_MEDIA_ROOT", "CUSTOS_UPLOAD_TEMP_DIR", "CUSTOS_STATIC_ROOT"):
        if os.environ.get(name):
            os.environ[name] = str(Path(os.environ[name]) / suffix)
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith(("redis://", "rediss://")):
        os.environ["CELERY_BROKER_URL"] = redis_url_for_worker(broker, index)


def isolate() -> None:
    index = worker_index()
    if index is None or os.environ.get(_DONE) == f"gw{index}":
        return
    _isolate(index)
    os.environ[_DONE] = f"gw{index}"

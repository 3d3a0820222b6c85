"""The project's Celery app for worker processes started by the security suite
(``celery -A tests.security.worker_app worker``), with one test-only twist.

When ``CUSTOS_TEST_HANG`` names a renderer as ``module:function``, each pool process replaces
it, once Django is set up, with a function that writes its process id to the file named by
``CUSTOS_TEST_HANG_MARKER`` and then sleeps: the test sees the render start and kills the
worker in the middle of it, deterministically. Production code has no such hook.
"""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init

from custos.celery import app

__all__ = ["app"]


def _hang(*args: Any, **kwargs: Any) -> bytes:
    Path(os.environ["CUSTOS_TEST_HANG_MARKER"]).write_text(str(os.getpid()))
    time.sleep(3600)
    raise RuntimeError("a hung render was not killed")


@worker_process_init.connect
def _hang_the_renderer(**kwargs: Any) -> None:
    target = os.environ.get("CUSTOS_TEST_HANG")
    if target:
        module, name = target.split(":")
        setattr(importlib.import_module(module), name, _hang)

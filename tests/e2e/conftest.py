"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

- **The browser** is ``/usr/bin/chromium`` (``CUSTOS_E2E_CHROMIUM`` to use another binary),
  launched once for the whole package: Playwright's own browser builds are never downloaded.
  It lives for the package only, not the session: Playwright's synchronous API keeps an
  asyncio loop marked as running in the main thread while it is started, and Django refuses
  ORM calls in a thread with a running loop (and would switch to other connection objects).
  While the browser is up, the fixture therefore sets ``DJANGO_ALLOW_ASYNC_UNSAFE`` (the
  tests call the ORM only between browser steps, never concurrently with them) and keeps the
  main thread on its usual connection; both are undone, with the browser, after the last
  browser test, so the rest of the suite runs with Django's checks intact.
- **The server** is pytest-django's ``live_server`` (a threaded WSGI server in this process,
  on the test database), so the tests are transactional and therefore PostgreSQL-only: on
  SQLite the flush after a transactional test would DELETE audit rows, which the append-only
  trigger refuses (see tests/conftest.py). Every module marks its tests ``postgres``.
- **A real Celery worker** (``celery_worker``) runs in a subprocess against the same test
  database, broker and file storage, for the pages whose outcome a worker produces.
- **A failing test saves a screenshot** of every page it opened under
  ``<CUSTOS_VAR_DIR>/e2e-screenshots/`` (``CUSTOS_E2E_SCREENSHOTS`` to change it); the paths
  are printed with the failure.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from accounts.models import User
from accounts.roles import Role
from tests.factories import PASSWORD, UserFactory

CHROMIUM = os.environ.get("CUSTOS_E2E_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("CUSTOS_E2E_SCREENSHOTS", str(Path(settings.VAR_DIR) / "e2e-screenshots"))
)
# Long enough for a loaded CI machine, short enough that a missing element fails quickly.
STEP_TIMEOUT_MS = 15_000

_PAGES = pytest.StashKey[list[Page]]()


# --- Browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium); "
            "the browser tests never download a browser of their own"
        )
    # Django keeps database connections in an asgiref Local, which switches to per-context
    # storage while an event loop runs in the thread: the tests would then get a second
    # connection object, without the serialized data pytest-django restores after each
    # flush. Pin the main thread's connections to plain thread-local storage meanwhile.
    # (_connections is that private Local: the stubs do not declare it.)
    storage = connections._connections  # type: ignore[attr-defined]
    thread_local = getattr(storage, "_storage", None)
    if not isinstance(thread_local, threading.local):
        pytest.fail(f"unexpected storage of Django's connections: {storage!r}")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    connections._connections = thread_local  # type: ignore[attr-defined]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-background-networking"],
                headless=True,
            )
            yield browser
            browser.close()
    finally:
        connections._connections = storage  # type: ignore[attr-defined]
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Pages:
    """Opens browser contexts (one per user: separate cookies) on the live server."""

    browser: Browser
    base_url: str
    item: pytest.Item
    contexts: list[BrowserContext]
    errors: list[str]

    def new(self, *, locale: str = "en-GB", bypass_csp: bool = False) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url,
            locale=locale,
            bypass_csp=bypass_csp,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None
            ),
        )
        self.item.stash.setdefault(_PAGES, []).append(page)
        return page


@pytest.fixture
def pages(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator[Pages]:
    """Browser pages on the live server. At the end of the test, a JavaScript error or a
    refused resource (a Content Security Policy violation, a 404 asset) on any page fails it."""
    opened = Pages(browser, live_server.url, request.node, [], [])
    yield opened
    for context in opened.contexts:
        context.close()
    if opened.errors:
        pytest.fail("errors in the browser console:\n" + "\n".join(opened.errors))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call" and report.failed:
        saved = []
        pages: list[Page] = item.stash.get(_PAGES, [])
        for number, page in enumerate(pages):
            if page.is_closed():
                continue
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
            path = SCREENSHOTS / f"{name}-{number}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as exc:  # the page may have crashed: say so, keep the report
                saved.append(f"{page.url}: no screenshot ({exc})")
            else:
                saved.append(f"{page.url}: {path}")
        if saved:
            report.sections.append(("e2e screenshots", "\n".join(saved)))
    return report


# --- Users and logging in ---------------------------------------------------------------------


@dataclass
class Member:
    """A user of the browser tests, with the key of their authenticator when they have one."""

    user: User
    totp_key: str | None = None

    @property
    def name(self) -> str:
        return self.user.get_full_name()


def member(username: str, *roles: Role, two_factor: bool = False, **fields: object) -> Member:
    user = UserFactory(username=username, roles=list(roles), **fields)
    if not two_factor:
        return Member(user)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return Member(user, device.key)


def totp_code(key: str) -> str:
    """The code an authenticator app shows now for this device key."""
    device = TOTPDevice(key=key)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def label(text: str) -> re.Pattern[str]:
    """A form field's label exactly: ``get_by_label`` matches the label's text, which for a
    required field also holds the (aria-hidden) asterisk and the visually hidden "(required)"."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*(\(required\))?\s*$")


def field(page: Page, text: str) -> Locator:
    """The form field of the page's main content with this label (not the footer's)."""
    return page.get_by_role("main").get_by_label(label(text))


def log_in(page: Page, who: Member) -> None:
    """Logs in through the login page, with the authenticator's code when there is one."""
    page.goto("/accounts/login/")
    field(page, "Username").fill(who.user.username)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if who.totp_key:
        expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
        field(page, "Authentication code").fill(totp_code(who.totp_key))
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name=f"Welcome, {who.name}")).to_be_visible()


def expect_message(page: Page, text: str | re.Pattern[str]) -> None:
    """The confirmation (or error) a view flashed after a redirect."""
    expect(
        page.locator("main .messages [role=status], main .messages [role=alert]")
    ).to_contain_text(text)


# --- A real Celery worker ---------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the Celery worker exited ({self.process.returncode}):\n{self.tail()}")


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def celery_worker(live_server, tmp_path: Path) -> Iterator[Worker]:
    """``celery -A custos worker -Q default,reports`` on the test database, the broker of the
    settings and this test's file storage, with the live server as ``CUSTOS_BASE_URL`` (the
    links it prints); stopped (warm shutdown) at the end of the test. It may still be starting
    when the test queues a task: the task waits on the broker."""
    assert connection.vendor == "postgresql", "the worker needs a database it can share"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CUSTOS_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        CUSTOS_UPLOAD_TEMP_DIR=str(settings.FILE_UPLOAD_TEMP_DIR),
        CUSTOS_BASE_URL=live_server.url,
        CUSTOS_SIGNING_P12=str(settings.CUSTOS_SIGNING_P12),
        CUSTOS_SIGNING_PASSPHRASE=settings.CUSTOS_SIGNING_PASSPHRASE,
    )
    log = tmp_path / "celery-worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "custos",
                "worker",
                "-Q",
                "default,reports",
                "-n",
                f"e2e-{os.getpid()}@%h",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, log)
    try:
        yield worker
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown: finishes the current task
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(
    check: Callable[[], bool], *, what: str, timeout: float = 90, worker: Worker | None = None
) -> None:
    """Polls ``check`` until it holds; fails naming ``what`` (and the worker's log) if it
    never does. A deadline for something to happen, not an assertion about how fast."""
    deadline = time.monotonic() + timeout
    while not check():
        if worker is not None:
            worker.check_alive()
        if time.monotonic() > deadline:
            log = f"\nworker log:\n{worker.tail()}" if worker is not None else ""
            pytest.fail(f"gave up waiting for {what} after {timeout:.0f} s{log}")
        time.sleep(0.5)

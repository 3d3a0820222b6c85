"""What the scale benchmarks share: the server (gunicorn on loopback against the scale
database), a small cookie-keeping HTTP client, logging in, and the pages to measure.

The database must hold ``manage.py seed_scale`` data; it is given by ``DATABASE_URL`` (or
``--database-url``) and must be PostgreSQL. Nothing here changes the data except what the
pages themselves write (each case page is an audited read).
"""

from __future__ import annotations

import http.client
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Variables that would change the server away from what is measured.
STRIPPED_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_DEBUG",
    "CUSTOS_REQUIRE_2FA",
    "CUSTOS_MEDIA_ROOT",
    "CUSTOS_UPLOAD_TEMP_DIR",
)


class BenchError(Exception):
    """The benchmark could not measure what it claims to."""


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


# --- Django in this process (to pick the pages and count their queries) ----------------------


def server_env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_ENV": "development",
            "DJANGO_DEBUG": "false",
            # Logins of the benchmark users need no second factor (see docs/benchmarks.md).
            "CUSTOS_REQUIRE_2FA": "false",
            "CUSTOS_VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/8")
    return env


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "custos.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise BenchError("the scale benchmarks need PostgreSQL with seed_scale data")


def database_url(cli_value: str | None) -> str:
    url = cli_value or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise BenchError(
            "give the scale database with --database-url or DATABASE_URL "
            "(PostgreSQL, filled by manage.py seed_scale)"
        )
    return url


@dataclass(frozen=True)
class UserPages:
    """The pages one user is measured on: their own cases, items and search."""

    username: str
    cases: int
    pages: dict[str, str]


def pages_for(username: str, search: str) -> UserPages:
    """The measured pages of ``username``: case list (first page, filtered, search), the
    case with their longest custody log (its overview and register) and that item."""
    from accounts.models import User
    from cases.models import Case
    from evidence.models import EvidenceItem

    user = User.objects.filter(username=username).first()
    if user is None:
        raise BenchError(f"no user {username!r}: run manage.py seed_scale first")
    visible = Case.objects.visible_to(user)
    item = (
        EvidenceItem.objects.filter(case__in=visible.values("pk"))
        .order_by("-custody_seq", "id")
        .values("pk", "case_id", "custody_seq")
        .first()
    )
    if item is None:
        raise BenchError(f"{username} sees no evidence")
    filtered = urlencode({"status": "active_investigation", "crime_category": "war_crimes"})
    return UserPages(
        username=username,
        cases=visible.count(),
        pages={
            "case list": "/cases/",
            "case list, filtered": f"/cases/?{filtered}",
            "case list, search": f"/cases/?{urlencode({'q': search})}",
            "case detail": f"/cases/{item['case_id']}/",
            "evidence register": f"/evidence/case/{item['case_id']}/",
            f"item detail ({item['custody_seq']} custody events)": f"/evidence/{item['pk']}/",
        },
    )


# --- The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """gunicorn serving Custos on a loopback port, configured like the Dockerfile's."""

    env: dict[str, str]
    workers: int = 1
    threads: int = 4
    port: int = field(default_factory=free_port)
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments, our own interpreter
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "custos.wsgi",
                    "--bind",
                    f"{HOST}:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--worker-class",
                    "gthread",
                    "--threads",
                    str(self.threads),
                    "--timeout",
                    "120",
                    "--backlog",
                    "2048",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            try:
                if Client(self.port).get("/accounts/login/").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within 60 s; see {self.log}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the workers so far (Linux; 0 where /proc is missing)."""
        ticks = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --- The client -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    location: str
    seconds: float


class Client:
    """One browser: its cookies and one keep-alive connection (re-opened when closed)."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        self.conn.request(method, path, body=body, headers=headers)
        return self.conn.getresponse()

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> Response:
        headers = {"Host": HOST}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        started = time.perf_counter()
        try:
            response = self._send(method, path, body, headers)
            payload = response.read()
        except (http.client.HTTPException, ConnectionError):
            # The server closed the idle keep-alive connection: one retry on a new one.
            self.close()
            started = time.perf_counter()
            response = self._send(method, path, body, headers)
            payload = response.read()
        seconds = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(response.status, payload, response.getheader("Location") or "", seconds)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def login(self, username: str, password: str) -> None:
        page = self.get("/accounts/login/")
        match = CSRF_INPUT.search(page.body.decode())
        if page.status != 200 or match is None:
            raise BenchError(f"login page answered {page.status} without a CSRF token")
        answer = self.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": match[1]},
        )
        if answer.status != 302 or "login" in answer.location:
            raise BenchError(f"login of {username} failed ({answer.status} {answer.location})")

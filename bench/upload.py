"""Upload benchmark: a large file through the real HTTP endpoint, against hashlib on the same file.

Runs Custos in a throw-away ``CUSTOS_VAR_DIR`` (embedded SQLite, filesystem broker, no Celery
worker) under gunicorn on loopback with one sync worker, logs in as the demo ``investigator``
and registers an evidence item whose original file is a generated file of ``--size-mib`` MiB,
sent as a streamed multipart body. It prints, measured in the same run:

- the throughput of ``hashlib.sha256`` over the same file (the baseline: the upload path hashes
  every byte once, so it cannot be faster than this on one core),
- the ingest throughput: file size / time from the first byte of the request to its response,
- their ratio (target >= 0.5),
- the web worker's peak RSS growth during the upload (target <= 64 MiB: an upload is streamed,
  never held in memory).

Targets are reported, not asserted. The exit code is non-zero only when the upload failed or the
SHA-256 that Custos shows for the stored file differs from the one computed here.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MIB = 1024 * 1024
READ_CHUNK = MIB  # client reads and sends, and the baseline hashes, in 1 MiB pieces
GENERATE_CHUNK = 8 * MIB
TARGET_RATIO = 0.5
TARGET_GROWTH_MIB = 64.0
USERNAME = "investigator"
PASSWORD = "custos-demo"  # noqa: S105 - the documented demo password of the embedded default
# Variables that would take the server away from the embedded default or this run's folder.
STRIPPED_ENV = (
    "DJANGO_ENV",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_DEBUG",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CUSTOS_MEDIA_ROOT",
    "CUSTOS_STATIC_ROOT",
    "CUSTOS_UPLOAD_TEMP_DIR",
    "CUSTOS_UPLOAD_MAX_BYTES",
    "CUSTOS_REQUIRE_2FA",
)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM_PATH = re.compile(r"^/evidence/(\d+)/$")
SHOWN_SHA256 = re.compile(r"SHA-256 ([0-9a-f]{64})")


class BenchError(Exception):
    """The benchmark could not measure what it claims to: setup, upload or hash check failed."""


# --- The server -----------------------------------------------------------------------------


def bench_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
    env["CUSTOS_VAR_DIR"] = str(var_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def gunicorn_start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - fixed arguments, our own interpreter
            [
                sys.executable,
                "-m",
                "gunicorn",
                "custos.wsgi",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                "1",
                "--timeout",
                "600",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def gunicorn_stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()  # the master stops its worker gracefully on SIGTERM
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def wait_until_up(proc: subprocess.Popen[bytes], port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with code {proc.returncode} while starting")
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise BenchError(f"/accounts/login/ did not answer within {timeout:.0f} s")


# --- The worker process, seen through /proc ---------------------------------------------------


def child_pids(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:  # kernels without CONFIG_PROC_CHILDREN: scan every process's parent
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                children.append(int(stat.parent.name))
        return children


def worker_pid(master: int, timeout: float = 30.0) -> int:
    deadline, children = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        children = child_pids(master)
        if len(children) == 1:
            return children[0]
        time.sleep(0.2)
    raise BenchError(f"expected one gunicorn worker under pid {master}, found {children}")


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # the kernel reports kB
    return values


def reset_peak(pid: int) -> bool:
    """Resets the process's VmHWM to its current RSS (Linux >= 4.0), so that the peak read
    after the upload belongs to the upload and not to the worker's start-up."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# --- An HTTP client with a session ------------------------------------------------------------


@dataclass
class Response:
    status: int
    location: str
    body: bytes


@dataclass
class Timing:
    sent: float  # first byte of the request to last byte of the body
    answered: float  # first byte of the request to the complete response


@dataclass
class Session:
    """Just enough of a browser: cookies, CSRF tokens from forms, Referer on every POST."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=900)

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _finish(self, response: http.client.HTTPResponse) -> Response:
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":  # Django deletes a cookie with max-age=0
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        location = urlsplit(response.getheader("Location") or "").path
        return Response(response.status, location, response.read())

    def get(self, path: str) -> Response:
        conn = self._connection()
        try:
            conn.request("GET", path, headers=self._cookie_header())
            return self._finish(conn.getresponse())
        finally:
            conn.close()

    def post_form(self, path: str, data: dict[str, str]) -> Response:
        conn = self._connection()
        headers = {
            **self._cookie_header(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": self.origin + path,
        }
        try:
            conn.request("POST", path, body=urlencode(data), headers=headers)
            return self._finish(conn.getresponse())
        finally:
            conn.close()

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        match = CSRF_INPUT.search(page.body.decode("utf-8", "replace"))
        if page.status != 200 or match is None:
            raise BenchError(f"GET {path}: status {page.status}, no CSRF token in the form")
        return match.group(1)

    def post_file(
        self, path: str, fields: dict[str, str], file_field: str, file: Path
    ) -> tuple[Response, Timing]:
        """POSTs multipart/form-data with the file streamed from disk in 1 MiB pieces."""
        boundary = f"custos-bench-{uuid.uuid4().hex}"
        preamble = (
            b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
                for name, value in fields.items()
            )
            + (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                f'filename="{file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
        )
        epilogue = f"\r\n--{boundary}--\r\n".encode()
        size = file.stat().st_size
        conn = self._connection()
        try:
            conn.putrequest("POST", path)
            for name, value in {
                **self._cookie_header(),
                "Referer": self.origin + path,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(preamble) + size + len(epilogue)),
            }.items():
                conn.putheader(name, value)
            start = time.perf_counter()
            try:
                conn.endheaders()
                conn.send(preamble)
                with file.open("rb") as handle:
                    while chunk := handle.read(READ_CHUNK):
                        conn.send(chunk)
                conn.send(epilogue)
            except OSError as error:  # the server may have answered early and closed
                try:
                    early = self._finish(conn.getresponse())
                except (OSError, http.client.HTTPException):
                    raise BenchError(f"upload aborted while sending: {error}") from error
                raise BenchError(
                    f"upload aborted while sending ({error}); server answered {early.status}"
                ) from error
            sent = time.perf_counter()
            response = self._finish(conn.getresponse())
            answered = time.perf_counter()
        finally:
            conn.close()
        return response, Timing(sent - start, answered - start)


# --- The test file and the baseline -----------------------------------------------------------


def generate(path: Path, size: int) -> None:
    """Random bytes, one 8 MiB block repeated with a counter in front of every repetition."""
    block = memoryview(os.urandom(GENERATE_CHUNK))
    with path.open("wb") as out:
        written, counter = 0, 0
        while written < size:
            n = min(GENERATE_CHUNK, size - written)
            out.write(counter.to_bytes(8, "little")[:n])
            if n > 8:
                out.write(block[8:n])
            written += n
            counter += 1
        out.flush()
        os.fsync(out.fileno())  # its write-back must not land inside the timed upload


def disk_write_timed(source: Path, target: Path) -> float:
    """Writes the file's bytes once to the evidence disk and fsyncs them, as an upload must:
    the second baseline, the disk's own speed (the upload cannot beat it)."""
    start = time.perf_counter()
    with source.open("rb") as handle, target.open("wb") as out:
        while chunk := handle.read(READ_CHUNK):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - start
    target.unlink()
    return elapsed


def sha256_timed(path: Path) -> tuple[str, float]:
    hasher = hashlib.sha256()
    start = time.perf_counter()
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest(), time.perf_counter() - start


# --- The run ----------------------------------------------------------------------------------


@dataclass
class Result:
    size: int
    hashlib_seconds: float
    disk_seconds: float
    timing: Timing
    rss_before: float
    rss_peak: float
    rss_after: float
    peak_reset: bool
    worker_cpu: float
    sha256: str

    def mib_per_s(self, seconds: float) -> float:
        return self.size / MIB / seconds


def demo_case_pk(env: dict[str, str]) -> int:
    out = manage(
        env,
        "shell",
        "-c",
        "from cases.models import Case; print(Case.objects.get(title__contains='Eastbrook').pk)",
    )
    return int(out.strip().splitlines()[-1])


def log_in(session: Session) -> None:
    token = session.csrf_token("/accounts/login/")
    answer = session.post_form(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": USERNAME, "password": PASSWORD},
    )
    if (
        answer.status != 302
        or answer.location.startswith("/accounts/login")
        or ("sessionid" not in session.cookies)
    ):
        raise BenchError(f"login as {USERNAME} failed: status {answer.status} → {answer.location}")


def run(var_dir: Path, size: int) -> Result:
    env = bench_env(var_dir)
    print(f"Preparing {var_dir} (migrate, seed_demo)…", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    case_pk = demo_case_pk(env)

    data = var_dir / "bench-upload.bin"
    print(f"Generating a {size / MIB:.0f} MiB test file…", flush=True)
    generate(data, size)
    print("Hashing it with hashlib.sha256 (baseline)…", flush=True)
    expected, hashlib_seconds = sha256_timed(data)
    print("Writing it once to the evidence disk with fsync (second baseline)…", flush=True)
    disk_seconds = disk_write_timed(data, var_dir / "bench-disk-baseline.bin")

    port = free_port()
    log = var_dir / "gunicorn.log"
    proc = gunicorn_start(env, port, log)
    try:
        wait_until_up(proc, port)
        worker = worker_pid(proc.pid)
        session = Session(port)
        log_in(session)
        create = f"/evidence/case/{case_pk}/new/"
        token = session.csrf_token(create)  # also warms the worker up on this very view

        rss_before = memory_mib(worker)["VmRSS"]
        peak_reset = reset_peak(worker)
        cpu_before = cpu_seconds(worker)
        print(f"Uploading through http://{HOST}:{port}{create} …", flush=True)
        answer, timing = session.post_file(
            create,
            {
                "csrfmiddlewaretoken": token,
                "kind": "document",
                "description": "Upload benchmark (bench/upload.py)",
                "source_kind": "other",
            },
            "upload",
            data,
        )
        worker_cpu = cpu_seconds(worker) - cpu_before
        memory = memory_mib(worker)

        item = ITEM_PATH.match(answer.location)
        if answer.status != 302 or item is None:
            hint = " (the form came back with errors)" if answer.status == 200 else ""
            raise BenchError(
                f"upload answered {answer.status} → {answer.location or '(no redirect)'}, "
                f"not a redirect to /evidence/<id>/{hint}"
            )
        page = session.get(answer.location)
        shown = SHOWN_SHA256.findall(page.body.decode("utf-8", "replace"))
        if page.status != 200 or shown != [expected]:
            raise BenchError(
                f"{answer.location} shows SHA-256 {shown or 'none'} (status {page.status}); "
                f"the file's SHA-256 is {expected}"
            )
    except BaseException:
        gunicorn_stop(proc)
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        if tail:
            print(f"--- gunicorn log (last lines) ---\n{tail}", file=sys.stderr)
        raise
    gunicorn_stop(proc)
    return Result(
        size=size,
        hashlib_seconds=hashlib_seconds,
        disk_seconds=disk_seconds,
        timing=timing,
        rss_before=rss_before,
        rss_peak=memory["VmHWM"],
        rss_after=memory["VmRSS"],
        peak_reset=peak_reset,
        worker_cpu=worker_cpu,
        sha256=expected,
    )


def report(result: Result) -> Iterator[str]:
    hashed = result.mib_per_s(result.hashlib_seconds)
    ingest = result.mib_per_s(result.timing.answered)
    ratio = ingest / hashed
    growth = result.rss_peak - result.rss_before

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    yield ""
    yield f"Upload of {result.size / MIB:.0f} MiB through gunicorn (1 sync worker) on {HOST}"
    yield f"{'':30}{'measured':>14}  {'target':<10}"
    yield f"{'hashlib.sha256, same file':30}{hashed:>9.1f} MiB/s  {'baseline':<10}"
    disk = result.mib_per_s(result.disk_seconds)
    yield f"{'disk write + fsync, same file':30}{disk:>9.1f} MiB/s  {'baseline':<10}"
    yield f"{'ingest (HTTP upload)':30}{ingest:>9.1f} MiB/s"
    yield f"{'ratio ingest / disk write':30}{ingest / disk:>14.2f}  {'(ceiling 1)':<10}"
    yield (
        f"{'ratio ingest / hashlib':30}{ratio:>14.2f}  {f'>= {TARGET_RATIO}':<10}"
        f"{verdict(ratio >= TARGET_RATIO)}"
    )
    yield f"{'worker RSS before':30}{result.rss_before:>10.1f} MiB"
    yield f"{'worker RSS peak':30}{result.rss_peak:>10.1f} MiB"
    yield (
        f"{'worker RSS growth':30}{growth:>10.1f} MiB  {f'<= {TARGET_GROWTH_MIB:.0f} MiB':<10}"
        f"{verdict(growth <= TARGET_GROWTH_MIB)}"
    )
    yield ""
    yield (
        f"hashlib {result.hashlib_seconds:.2f} s; upload {result.timing.answered:.2f} s "
        f"(body sent in {result.timing.sent:.2f} s, answer "
        f"{result.timing.answered - result.timing.sent:.2f} s after its last byte); "
        f"worker CPU {result.worker_cpu:.2f} s; worker RSS after {result.rss_after:.1f} MiB"
    )
    if not result.peak_reset:
        yield "note: VmHWM could not be reset, so the peak may predate the upload"
    yield f"SHA-256 shown by Custos matches the file: {result.sha256}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="test file size (1024)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary CUSTOS_VAR_DIR")
    args = parser.parse_args(argv)
    if args.size_mib < 1:
        parser.error("--size-mib must be at least 1")

    var_dir = Path(tempfile.mkdtemp(prefix="custos-bench-upload-"))
    try:
        result = run(var_dir, args.size_mib * MIB)
    except BenchError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    for line in report(result):
        print(line)
    if args.keep:
        print(f"Kept {var_dir} (database, stored files, gunicorn.log, the test file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

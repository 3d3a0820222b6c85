"""A rendering worker killed with SIGKILL in the middle of a render (real Redis, real
``celery worker`` processes): after a new worker starts and the stuck-job sweep runs, exactly
one PDF is stored and exactly one hash recorded.

Each renderer of the project is a :class:`RenderJob`; a new one (case packages) is a few
lines: how to make a job without queueing it, how to queue it, its status, how to age its
claim, the sweep that re-queues stuck jobs, and where its files and hash are.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Queue

from custos.celery import app

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
BASE_DIR = Path(settings.BASE_DIR)
STARTUP_LIMIT = 40  # seconds a worker may take to start and pick a job up on a busy machine


@dataclass(frozen=True)
class RenderJob:
    """One kind of rendering job, as the harness needs to see it."""

    renderer: str  # "module:function" the task calls to produce the bytes
    queue: str
    create: Callable[[], int]  # makes a job (not queued), returns its id
    enqueue: Callable[[int], None]
    status: Callable[[int], str]
    rendering: str
    ready: str
    age_claim: Callable[[int], None]  # as if the claim were older than the stuck limit
    requeue: Callable[[], object]  # the periodic sweep of stuck jobs
    files: Callable[[int], list[Path]]  # what is stored for the job
    recorded_hash: Callable[[int], str]
    attempts: Callable[[int], int]


def _certificate_job() -> RenderJob:
    from tests.training.conftest import applicant, apply, make_session
    from training.models import Certificate, Course
    from training.tasks import render_certificate, requeue_stuck_certificates

    def create() -> int:
        session = make_session(Course.objects.create(title="Interviewing witnesses"))
        application = apply(session, applicant(f"k_{uuid.uuid4().hex[:6]}"))
        return Certificate.objects.create(application=application).pk

    def age(pk: int) -> None:
        past = timezone.now() - timedelta(hours=2)
        Certificate.objects.filter(pk=pk).update(claimed_at=past, issued_at=past)

    def files(pk: int) -> list[Path]:
        code = Certificate.objects.get(pk=pk).code
        return sorted(Path(settings.MEDIA_ROOT).rglob(f"{code}*"))

    return RenderJob(
        renderer="training.pdf:certificate_pdf",
        queue="reports",
        create=create,
        enqueue=lambda pk: render_certificate.delay(pk),
        status=lambda pk: Certificate.objects.get(pk=pk).status,
        rendering=Certificate.Status.RENDERING,
        ready=Certificate.Status.READY,
        age_claim=age,
        requeue=requeue_stuck_certificates,
        files=files,
        recorded_hash=lambda pk: Certificate.objects.get(pk=pk).sha256,
        attempts=lambda pk: Certificate.objects.get(pk=pk).attempts,
    )


def _package_job() -> RenderJob:
    """A case package renders in parts: the hang is in the part renderer, and the sweep is the
    stuck-package job (which renders again only the parts that were not finished)."""
    from accounts.roles import Role
    from partners.models import Package, PackageSection
    from partners.packages.tasks import render_package, requeue_stuck_packages
    from tests.cases.conftest import open_case
    from tests.factories import UserFactory

    def create() -> int:
        """An approved package of a case (for the unit's prosecutor: no share to check), left
        queued without its message: the test sends it to the worker it controls."""
        lead = UserFactory(username=f"k_lead_{uuid.uuid4().hex[:6]}", roles=[Role.CASE_LEAD])
        case = open_case(lead, title="Shelling of the old market")
        package = Package.objects.create(
            case=case,
            recipient="Office of the Prosecutor",
            purpose=Package.Purpose.TRIAL,
            sections=["summary", "chronology", "persons"],
            requested_by=lead,
            decided_by=lead,
            decided_at=timezone.now(),
            status=Package.Status.QUEUED,
        )
        return package.pk

    def age(pk: int) -> None:
        from custos.jobs import PACKAGE

        past = timezone.now() - PACKAGE.lease - timedelta(minutes=1)
        Package.objects.filter(pk=pk).update(claimed_at=past)
        PackageSection.objects.filter(package_id=pk).update(claimed_at=past)

    def files(pk: int) -> list[Path]:
        uid = Package.objects.get(pk=pk).uid
        return sorted(p for p in Path(settings.MEDIA_ROOT).rglob(f"{uid}.pdf") if p.is_file())

    return RenderJob(
        renderer="partners.packages.pdf:render_part",
        queue="reports",
        create=create,
        enqueue=lambda pk: render_package.delay(pk),
        status=lambda pk: Package.objects.get(pk=pk).status,
        rendering=Package.Status.RENDERING,
        ready=Package.Status.READY,
        age_claim=age,
        requeue=requeue_stuck_packages,
        files=files,
        recorded_hash=lambda pk: Package.objects.get(pk=pk).sha256,
        attempts=lambda pk: Package.objects.get(pk=pk).attempts,
    )


JOBS: dict[str, Callable[[], RenderJob]] = {
    "certificate": _certificate_job,
    "package": _package_job,
}


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """A ``celery worker`` subprocess on the test database, in a process group of its own."""

    def __init__(self, tmp: Path, queue: str, hang: str | None = None) -> None:
        self.log = tmp / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.marker = tmp / "render-started"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "custos.settings",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CUSTOS_VAR_DIR": str(tmp / "var"),
            "CUSTOS_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CUSTOS_UPLOAD_TEMP_DIR": str(settings.FILE_UPLOAD_TEMP_DIR),
            "CUSTOS_TEST_HANG_MARKER": str(self.marker),
            "CUSTOS_SIGNING_P12": str(settings.CUSTOS_SIGNING_P12),
            "CUSTOS_SIGNING_PASSPHRASE": settings.CUSTOS_SIGNING_PASSPHRASE,
        }
        env.pop("CUSTOS_TEST_HANG", None)
        if hang:
            env["CUSTOS_TEST_HANG"] = hang
        command = [
            sys.executable, "-m", "celery", "-A", "tests.security.worker_app", "worker",
            "-Q", queue, "-n", f"security-{uuid.uuid4().hex[:8]}@%h",
            "--concurrency", "1", "--max-tasks-per-child", "1",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
            "--loglevel", "INFO",
        ]  # fmt: skip
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL to the whole worker (main process and pool), like a lost machine."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _wait_for(what: str, done: Callable[[], bool], worker: Worker) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT
    while not done():
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {STARTUP_LIMIT} s:\n{worker.output()}")
        time.sleep(0.2)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


@pytest.mark.parametrize("kind", sorted(JOBS))
def test_a_worker_killed_mid_render_leaves_exactly_one_output_and_one_hash(
    kind: str, workers: list[Worker], tmp_path: Path
) -> None:
    job = JOBS[kind]()
    with app.connection_for_write() as conn:
        Queue(job.queue).bind(conn.default_channel).purge()  # nothing left from other runs
    pk = job.create()

    first = Worker(tmp_path, job.queue, hang=job.renderer)
    workers.append(first)
    job.enqueue(pk)
    _wait_for("render to start", first.marker.exists, first)
    assert job.status(pk) == job.rendering
    first.kill()
    assert job.status(pk) == job.rendering, "the killed render left its job claimed"
    assert job.files(pk) == []

    second = Worker(tmp_path, job.queue)
    workers.append(second)
    job.age_claim(pk)  # the sweep's stuck limit has passed
    job.requeue()
    _wait_for("finished render", lambda: job.status(pk) == job.ready, second)
    second.stop()

    [stored] = job.files(pk)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == job.recorded_hash(pk)
    assert stored.read_bytes().startswith(b"%PDF-")
    assert job.attempts(pk) == 2
    leftovers = [p for p in Path(settings.FILE_UPLOAD_TEMP_DIR).rglob("*") if p.is_file()]
    assert leftovers == []

"""Role fixtures and helpers shared by the whole suite.

Transactional tests (``django_db(transaction=True)``) run on PostgreSQL only: Django empties
tables after them with TRUNCATE there, but with DELETE on SQLite, which the audit trail's
append-only trigger rightly refuses. They also need ``serialized_rollback=True``: the flush
would otherwise take the rows that data migrations created (roles, the audit chain head) from
every test that runs after them. A test that gets its users through ``getfixturevalue``
must still name ``db``: pytest-django orders and sets up databases by the names it sees.

The suite runs with tests/settings.py (a fast password hasher, no static-file scan per test
client; each parallel worker's own var directory and Redis database).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings

from accounts.models import User
from accounts.roles import Role
from tests.factories import UserFactory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def module_db(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """The database for a world built once per module (Django's ``setUpTestData``, NetBox's
    pattern): what a module-scoped fixture writes stays in one transaction, rolled back after
    the module's last test. Each test still runs in a savepoint of its own inside it and rolls
    its changes back, so tests stay independent; a test that changes a shared object gets a
    copy of it (see ``world`` in tests/cases/conftest.py). Not for modules with transactional
    tests (``transaction=True``), which need the database outside any transaction."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # Like a TestCase's own atomic block: the product's durable blocks may nest in it.
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _password_hashers(request: pytest.FixtureRequest, settings) -> None:
    """Production's password hashers for the tests marked ``real_password_hasher``."""
    if request.node.get_closest_marker("real_password_hasher"):
        settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS


@pytest.fixture(scope="module")
def module_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The stored files of a world built once per module (``module_db``) that holds files:
    the module's world is built with them, and each of its tests reads and writes them there
    (instead of a folder of its own, so its tests see each other's stored files)."""
    root = tmp_path_factory.mktemp("module-files")
    (root / "uploads").mkdir()
    with override_settings(
        MEDIA_ROOT=str(root / "files"), FILE_UPLOAD_TEMP_DIR=str(root / "uploads")
    ):
        yield root


def files_root(request: pytest.FixtureRequest, own: Path) -> Path:
    """Where a test's stored files live: the module's (``module_files``) or ``own``."""
    if "module_files" in request.fixturenames:
        return request.getfixturevalue("module_files")
    return own


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(
    settings, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test writes stored files or upload temporaries into the developer's var/."""
    root = files_root(request, tmp_path_factory.mktemp("custos-files"))
    settings.MEDIA_ROOT = str(root / "files")
    settings.FILE_UPLOAD_TEMP_DIR = str(root / "uploads")
    (root / "uploads").mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def signing_p12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One package signing certificate for the whole run (never the developer's var/)."""
    from partners.packages.pdf.signing import make_development_certificate

    path = tmp_path_factory.mktemp("signing") / "test-signing.p12"
    return make_development_certificate(path, passphrase="test-passphrase")


@pytest.fixture(scope="session", autouse=True)
def signing_settings(signing_p12: Path) -> Iterator[Path]:
    """For the whole session, so that worlds built once per module can sign too."""
    with override_settings(
        CUSTOS_SIGNING_P12=signing_p12, CUSTOS_SIGNING_PASSPHRASE="test-passphrase"
    ):
        yield signing_p12


def _user(username: str, *roles: Role) -> User:
    return UserFactory(username=username, roles=list(roles))


@pytest.fixture
def unit_admin(db: None) -> User:
    return _user("t_admin", Role.UNIT_ADMIN)


@pytest.fixture
def lead(db: None) -> User:
    return _user("t_lead", Role.CASE_LEAD)


@pytest.fixture
def investigator(db: None) -> User:
    return _user("t_investigator", Role.INVESTIGATOR)


@pytest.fixture
def analyst(db: None) -> User:
    return _user("t_analyst", Role.ANALYST)


@pytest.fixture
def liaison(db: None) -> User:
    return _user("t_liaison", Role.TRIBUNAL_LIAISON)


@pytest.fixture
def training_admin(db: None) -> User:
    return _user("t_trainer", Role.TRAINING_ADMIN)


@pytest.fixture
def trainee(db: None) -> User:
    return _user("t_trainee", Role.TRAINEE)


@pytest.fixture
def outsider(db: None) -> User:
    """Logged in, but with no role at all."""
    return _user("t_outsider")


@pytest.fixture
def login(client: Client):
    """Logs ``user`` in: a session that has just authenticated (as after the login page)."""

    def _login(user: User) -> Client:
        client.force_login(user)
        return client

    return _login


def audit_actions(**filters: object) -> list[str]:
    from audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True)
    )


def text_of(response: object) -> str:
    """The text of a response, streamed (a CSV export, a download) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")  # type: ignore[attr-defined]
    return response.content.decode(errors="replace")  # type: ignore[attr-defined]

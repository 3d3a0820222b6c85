"""The access matrix of every training URL: a page, a 403 (wrong role) or a 404 (someone
else's application or certificate). A trainee sees only their own."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from tests.factories import UserFactory
from tests.training.conftest import apply, make_course, make_session
from tests.urlwalk import all_routes
from training.models import Application, Certificate, Session

ACTORS = (
    "training_admin",
    "owner",
    "other_trainee",
    "investigator",
    "unit_admin",
    "liaison",
    "outsider",
    "anonymous",
)
CATALOGUE = ("training_admin", "owner", "other_trainee", "investigator", "unit_admin")


@dataclass
class World:
    session: Session
    application: Application
    certificate: Certificate
    users: dict[str, User]


@pytest.fixture(scope="module")
def module_world(module_db: None, module_files: Path) -> World:
    """Built once for the module (its certificate's file in ``module_files``)."""
    course = make_course()
    users = {
        "training_admin": UserFactory(username="x_trainer", roles=[Role.TRAINING_ADMIN]),
        "owner": UserFactory(username="x_owner", roles=[Role.TRAINEE]),
        "other_trainee": UserFactory(username="x_other", roles=[Role.TRAINEE]),
        "investigator": UserFactory(username="x_inv", roles=[Role.INVESTIGATOR]),
        "unit_admin": UserFactory(username="x_admin", roles=[Role.UNIT_ADMIN]),
        "liaison": UserFactory(username="x_liaison", roles=[Role.TRIBUNAL_LIAISON]),
        "outsider": UserFactory(username="x_outsider"),
    }
    session = make_session(course)
    application = apply(session, users["owner"], organisation="CANARY ORGANISATION")
    apply(session, users["other_trainee"], organisation="OTHER TRAINEE ORGANISATION")
    certificate = Certificate.objects.create(
        application=application, status=Certificate.Status.READY
    )
    certificate.pdf.save("cert.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    return World(session, application, certificate, users)


@pytest.fixture
def world(module_world: World, db: None) -> World:
    """A copy of the module's world for each test (whose changes roll back)."""
    return copy.deepcopy(module_world)


@dataclass(frozen=True)
class Expect:
    method: str
    kwargs: Callable[[World], dict[str, object]]
    codes: dict[str, int]


def none(w: World) -> dict[str, object]:
    return {}


def session(w: World) -> dict[str, object]:
    return {"pk": w.session.pk}


def course(w: World) -> dict[str, object]:
    return {"pk": w.session.course_id}


def application(w: World) -> dict[str, object]:
    return {"pk": w.application.pk}


def certificate(w: World) -> dict[str, object]:
    return {"pk": w.certificate.pk}


def code(w: World) -> dict[str, object]:
    return {"code": w.certificate.code}


def only(allowed: tuple[str, ...], ok: int = 200, refused: int = 403) -> dict[str, int]:
    result = {actor: (ok if actor in allowed else refused) for actor in ACTORS}
    result["anonymous"] = 302
    return result


ADMIN = ("training_admin",)
ROUTES: dict[str, Expect] = {
    "training:catalogue": Expect("get", none, only(CATALOGUE)),
    "training:session_detail": Expect("get", session, only(CATALOGUE)),
    "training:apply": Expect("get", session, only(CATALOGUE)),
    "training:applications": Expect("get", session, only(ADMIN)),
    "training:attendance": Expect("get", session, only(ADMIN)),
    "training:assessment": Expect("post", session, only(ADMIN, 302)),
    "training:complete": Expect("post", session, only(ADMIN, 302)),
    "training:export": Expect("get", session, only(ADMIN)),
    "training:my": Expect("get", none, only(ACTORS)),
    "training:withdraw": Expect(
        "post", application, only(("training_admin", "owner"), 302, refused=404)
    ),
    "training:import": Expect("get", none, only(ADMIN)),
    "training:statistics": Expect("get", none, only(("training_admin", "unit_admin"))),
    "training:statistics_print": Expect("get", none, only(("training_admin", "unit_admin"))),
    "training:certificate_pdf": Expect(
        "get", certificate, only(("training_admin", "owner"), refused=404)
    ),
    "training:verify": Expect("get", code, dict.fromkeys(ACTORS, 200)),
    "training:course_create": Expect("get", none, only(ADMIN)),
    "training:course_edit": Expect("get", course, only(ADMIN)),
    "training:session_create": Expect("get", none, only(ADMIN)),
    "training:session_edit": Expect("get", session, only(ADMIN)),
}


def test_every_training_url_is_in_the_matrix() -> None:
    names = {r.name for r in all_routes() if r.name.startswith("training:")}
    assert names == set(ROUTES)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_training_url_access(client: Client, world: World, name: str, actor: str) -> None:
    expect = ROUTES[name]
    url = reverse(name, kwargs=expect.kwargs(world))
    if actor != "anonymous":
        client.force_login(world.users[actor])
    response = getattr(client, expect.method)(url)
    assert response.status_code == expect.codes[actor], f"{actor} on {url}"
    if response.status_code == 302 and actor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


def test_a_trainee_sees_only_their_own_applications(client: Client, world: World) -> None:
    client.force_login(world.users["other_trainee"])
    body = client.get(reverse("training:my")).content.decode()
    assert reverse("training:withdraw", args=[world.application.pk]) not in body
    assert world.certificate.code not in body
    assert world.session.course.title in body  # their own application
    client.force_login(world.users["owner"])
    body = client.get(reverse("training:my")).content.decode()
    assert world.certificate.code in body


def test_the_verify_page_tells_nothing_but_name_course_and_date(
    client: Client, world: World
) -> None:
    body = client.get(reverse("training:verify", kwargs={"code": world.certificate.code}))
    text = body.content.decode()
    assert world.users["owner"].get_full_name() in text
    assert "CANARY ORGANISATION" not in text
    assert world.users["owner"].email not in text


def test_each_training_row_is_visible_to_whom_its_rule_names(world: World) -> None:
    from training.models import Attendance, Course, Module

    owner, admin = world.users["owner"], world.users["training_admin"]
    Attendance.objects.create(application=world.application, day=world.session.start_date)
    Module.objects.create(course=world.session.course, title="Interviewing witnesses")
    for model in (Course, Module, Session):
        every = set(model.objects.values_list("pk", flat=True))
        for actor in CATALOGUE:
            assert (
                set(model.objects.visible_to(world.users[actor]).values_list("pk", flat=True))
                == every
            )
        for actor in ("liaison", "outsider"):
            assert not model.objects.visible_to(world.users[actor]).exists(), (model, actor)
    assert list(Application.objects.visible_to(owner)) == [world.application]
    for record in (Application, Attendance, Certificate):
        every = set(record.objects.values_list("pk", flat=True))
        assert set(record.objects.visible_to(admin).values_list("pk", flat=True)) == every
        own = record.objects.visible_to(owner)
        assert own.exists()
        for actor in ("other_trainee", "investigator", "unit_admin", "liaison", "outsider"):
            seen = set(record.objects.visible_to(world.users[actor]).values_list("pk", flat=True))
            assert not seen & set(own.values_list("pk", flat=True)), (record, actor)

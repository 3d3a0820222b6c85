"""ASVS V3/V5 (output encoding): every text a user can type, rendered in every page, stays text;
every page carries a Content-Security-Policy that refuses inline scripts.

The hostile world's free-text columns (every CharField and TextField of the project's models
without choices, not unique and long enough) are overwritten with a script payload, then
every page of the project is opened by the people entitled to see the data. A new model or a
new page is covered without touching this file.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.http.response import HttpResponseBase
from django.test import Client

from custos.db_roles import APPEND_ONLY
from tests.cases.conftest import SHARED_WORLD
from tests.security.conftest import Hostile
from tests.security.test_every_url import OBJECTS
from tests.test_access import MATRIX
from tests.urlwalk import all_routes

pytestmark = SHARED_WORLD  # the case world is built once for the module

PAYLOAD = "<script>xss</script>\"'><img src=x onerror=xss>"
RAW = ("<script>xss", "<img src=x onerror=xss")
PROJECT_APPS = ("accounts", "audit", "cases", "evidence", "partners", "training")
# Columns that are identifiers or machine values, not text a user types.
NOT_TEXT = {
    "sha256",
    "hash",
    "prev_hash",
    "storage_name",
    "mime_type",
    "code",
    "token",
    "token_hash",
    "exhibit",
    "reference",
    "pseudonym",
    "username",
    "email",
    "password",
    "key",
    "uid",
    "custody_head",
    "preferred_language",
    "language",
    "country",
    "countries",
    "error",
}


def _text_fields(model: type[models.Model]) -> list[str]:
    names = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField) or field.choices:
            continue
        if field.unique or field.name in NOT_TEXT or isinstance(field, models.EmailField):
            continue
        if field.max_length is not None and field.max_length < len(PAYLOAD):
            continue
        names.append(field.name)
    return names


def _poison() -> list[str]:
    poisoned = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model._meta.db_table in APPEND_ONLY:
            continue
        fields = _text_fields(model)
        if fields and model._default_manager.exists():
            model._default_manager.update(**dict.fromkeys(fields, PAYLOAD))
            poisoned += [f"{model._meta.label}.{f}" for f in fields]
    return poisoned


def _pages(h: Hostile) -> list[str]:
    public = {n for n, r in MATRIX.items() if r.public}
    urls = []
    for route in all_routes():
        if route.name in public:
            continue
        if route.converters:
            urls.append(route.url(**OBJECTS[route.name](h)))
        elif MATRIX.get(route.name) is None or MATRIX[route.name].method == "get":
            urls.append(route.url())
    return urls


def _csp_problem(response: HttpResponseBase) -> str | None:
    policy = response.get("Content-Security-Policy", "")
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in policy.split(";") if part.strip()
    )
    script = directives.get("script-src", directives.get("default-src"))
    if script is None:
        return "no Content-Security-Policy for scripts"
    if "'unsafe-inline'" in script or "'unsafe-eval'" in script:
        return f"script-src allows inline scripts: {script}"
    return None


def test_typed_text_never_becomes_markup_and_every_page_forbids_inline_scripts(
    hostile: Hostile,
) -> None:
    poisoned = _poison()
    assert "cases.Case.title" in poisoned
    assert "cases.CasePerson.full_name" in poisoned or "cases.Person.full_name" in poisoned
    w = hostile.world
    viewers = [w.lead, w.unit_admin, hostile.p.liaison_a, hostile.application.applicant]
    failures: list[str] = []
    html_pages = shown = 0
    for viewer in viewers:
        client = Client(raise_request_exception=False)
        client.force_login(viewer)
        for url in _pages(hostile):
            response = client.get(url)
            where = f"{viewer.username} {url} ({response.status_code})"
            if response.status_code >= 500:
                failures.append(f"{where}: server error")
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            html_pages += 1
            if problem := _csp_problem(response):
                failures.append(f"{where}: {problem}")
            body = response.content.decode(errors="replace")
            shown += "&lt;script&gt;xss" in body
            for raw in RAW:
                if raw in body:
                    failures.append(f"{where}: {raw!r} is in the page unescaped")
    assert html_pages > 100
    assert shown > 50, "the payload reached the pages (escaped)"
    assert not failures, "\n".join(failures)


def test_error_and_login_pages_carry_the_policy_too(db: None) -> None:
    client = Client()
    for url in ("/accounts/login/", "/no-such-page/", "/healthz"):
        response = client.get(url)
        if response.get("Content-Type", "").startswith("text/html"):
            assert _csp_problem(response) is None, url
    assert _csp_problem(client.get("/accounts/login/")) is None

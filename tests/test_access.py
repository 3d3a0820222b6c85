"""The access matrix of every view of the project, walked from the URL resolver.

A view added without an entry in ``MATRIX`` fails ``test_every_view_is_in_the_matrix``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import NotificationFactory
from tests.urlwalk import all_routes

ROLES = (
    "unit_admin",
    "lead",
    "investigator",
    "analyst",
    "liaison",
    "training_admin",
    "trainee",
    "outsider",
)


@dataclass(frozen=True)
class Rule:
    """Who may open a view. ``public`` views need no login; ``allowed`` roles get a page,
    every other logged-in role a 403. ``method`` is how the view is exercised."""

    allowed: tuple[str, ...] = ROLES
    public: bool = False
    method: str = "get"
    ok_status: tuple[int, ...] = (200,)
    data: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, str] = field(default_factory=dict)  # URL arguments of a real object
    # Views of one case: their role matrix (team roles, break-glass, 404 for outsiders) is in
    # tests/cases/test_case_access.py, which fails if one is missing there.
    per_case: bool = False


MATRIX: dict[str, Rule] = {
    "dashboard": Rule(),
    "healthz": Rule(public=True),
    "set_language": Rule(public=True, method="post", ok_status=(302,), data={"language": "fr"}),
    "accounts:login": Rule(public=True, ok_status=(302,)),  # already logged in: onwards
    "accounts:login_verify": Rule(public=True, ok_status=(302,)),  # no pending login: back
    "accounts:logout": Rule(),  # GET asks for confirmation; logging out is a POST
    "accounts:reauth": Rule(),
    "accounts:profile": Rule(),
    "accounts:password_change": Rule(),
    "accounts:2fa": Rule(),
    "accounts:2fa_setup": Rule(),
    "accounts:2fa_recovery_codes": Rule(ok_status=(302,)),  # no authenticator yet: to setup
    "accounts:2fa_disable": Rule(),
    "accounts:notifications": Rule(),
    "accounts:notification_read": Rule(method="post", ok_status=(302,)),
    "accounts:notifications_read_all": Rule(method="post", ok_status=(302,)),
    "audit:list": Rule(allowed=("unit_admin",)),
    "crimes:list": Rule(),
    "crimes:modes": Rule(),
    "crimes:detail": Rule(kwargs={"code": "ART6A"}),  # reference data from a migration
    "cases:list": Rule(),  # everyone gets the list of the cases they are on (maybe none)
    "cases:create": Rule(allowed=("lead", "investigator")),
    "cases:team_admin": Rule(allowed=("unit_admin",)),
    **{
        name: Rule(per_case=True)
        for name in (
            "cases:detail",
            "cases:edit",
            "cases:transition",
            "cases:incidents",
            "cases:incident_create",
            "cases:incident_detail",
            "cases:incident_edit",
            "cases:persons",
            "cases:persons_csv",
            "cases:person_create",
            "cases:person_link",
            "cases:person_detail",
            "cases:person_edit",
            "cases:person_protect",
            "cases:person_grants",
            "cases:team",
            "cases:team_add",
            "cases:timeline",
            "cases:activity",
            "cases:notes",
            "cases:note_edit",
            "cases:note_history",
            "cases:break_glass",
        )
    },
    "evidence:integrity_admin": Rule(allowed=("unit_admin",)),
    "partners:directory": Rule(allowed=("unit_admin", "lead", "investigator", "analyst")),
    "partners:create": Rule(allowed=("unit_admin",)),
    "partners:shared_list": Rule(allowed=("liaison",)),
    "partners:invitation_accept": Rule(public=True, ok_status=(410,), kwargs={"token": "x"}),
    # Views of one partner, agreement or share: tests/partners/test_partner_access.py.
    **{
        f"partners:{name}": Rule(per_case=True)
        for name in (
            "shared_detail",
            "agreement_document",
            "case_shares",
            "share_create",
            "detail",
            "edit",
            "contact_add",
            "agreement_add",
            "invite",
        )
    },
    "partners:share_revoke": Rule(per_case=True, method="post"),
    "training:catalogue": Rule(
        allowed=("unit_admin", "lead", "investigator", "analyst", "training_admin", "trainee")
    ),
    "training:my": Rule(),  # everyone gets their own applications (maybe none)
    "training:import": Rule(allowed=("training_admin",)),
    "training:course_create": Rule(allowed=("training_admin",)),
    "training:session_create": Rule(allowed=("training_admin",)),
    "training:statistics": Rule(allowed=("unit_admin", "training_admin")),
    "training:statistics_print": Rule(allowed=("unit_admin", "training_admin")),
    "training:verify": Rule(public=True, ok_status=(404,), kwargs={"code": "x"}),
    # Views of one session, application or certificate: tests/training/test_training_access.py.
    **{
        f"training:{name}": Rule(per_case=True)
        for name in (
            "session_detail",
            "apply",
            "applications",
            "attendance",
            "export",
            "certificate_pdf",
            "course_edit",
            "session_edit",
        )
    },
    **{
        f"training:{name}": Rule(per_case=True, method="post")
        for name in ("assessment", "complete", "withdraw")
    },
    "meetings:list": Rule(allowed=("unit_admin", "lead", "investigator", "analyst", "liaison")),
    "packages:list": Rule(allowed=("unit_admin", "lead", "investigator", "analyst", "liaison")),
    # Those who make or receive packages may check one they were given.
    "packages:verify": Rule(allowed=("unit_admin", "lead", "investigator", "analyst", "liaison")),
    # Views of one package or case: their matrix is tests/partners/test_package_access.py.
    **{
        f"packages:{name}": Rule(per_case=True)
        for name in ("case", "request_case", "request_share", "detail", "progress")
    },
    **{f"packages:{name}": Rule(per_case=True) for name in ("decide", "revoke", "download")},
    "packages:retry": Rule(per_case=True, method="post"),
    "meetings:create": Rule(allowed=("unit_admin", "lead")),
    # Views of one meeting: their matrix is tests/partners/test_meetings.py.
    **{f"meetings:{n}": Rule(per_case=True) for n in ("detail", "edit", "minutes")},
    "meetings:action_add": Rule(per_case=True, method="post"),
    "meetings:action_complete": Rule(per_case=True, method="post"),
    # Evidence views belong to one case: their matrix is tests/evidence/test_evidence_access.py.
    **{
        f"evidence:{name}": Rule(per_case=True)
        for name in (
            "register",
            "create",
            "integrity",
            "detail",
            "edit",
            "file_add",
            "transfer",
            "custody_event",
            "transfer_accept",
            "download",
            "preview",
        )
    },
    "evidence:verify": Rule(per_case=True, method="post"),
    "evidence:redaction_approve": Rule(per_case=True, method="post"),
    # Proof matrix views belong to one case: their matrix is tests/evidence/test_proof_access.py.
    **{
        f"proof:{name}": Rule(per_case=True)
        for name in (
            "overview",
            "create",
            "matrix",
            "edit",
            "matrix_csv",
            "link_create",
            "item_link",
            "link_revise",
            "link_withdraw",
            "link_history",
        )
    },
    "evidence:transfer_cancel": Rule(per_case=True, method="post"),
    "cases:person_grant_revoke": Rule(per_case=True, method="post"),
    "cases:team_remove": Rule(per_case=True, method="post"),
}
ROUTES = {route.name: route for route in all_routes()}


def test_every_view_is_in_the_matrix() -> None:
    assert set(ROUTES) == set(MATRIX), "add the new view to MATRIX with who may open it"


def test_only_the_matrix_public_views_skip_the_login() -> None:
    public = {
        name
        for name, route in ROUTES.items()
        if not getattr(route.callback, "login_required", True)
    }
    assert public == {name for name, rule in MATRIX.items() if rule.public}


@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if not r.public))
def test_anonymous_users_are_sent_to_the_login_page(client: Client, db: None, name: str) -> None:
    rule = MATRIX[name]
    url = ROUTES[name].url(**rule.kwargs)
    response = getattr(client, rule.method)(url, rule.data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("healthz", 200),
        ("accounts:login", 200),
        ("accounts:login_verify", 302),
        ("set_language", 302),
        ("partners:invitation_accept", 410),
        ("training:verify", 404),
    ],
)
def test_public_views_answer_anonymous_users(
    client: Client, db: None, name: str, status: int
) -> None:
    rule = MATRIX[name]
    response = getattr(client, rule.method)(ROUTES[name].url(**rule.kwargs), rule.data)
    assert response.status_code == status


def _url_for(name: str, user: User) -> str:
    route = ROUTES[name]
    if "pk" in route.converters:  # the user's own object
        return route.url(pk=NotificationFactory(user=user).pk)
    return route.url(**MATRIX[name].kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if not r.per_case))
def test_each_role_gets_exactly_what_the_matrix_allows(
    client: Client, db: None, request: pytest.FixtureRequest, name: str, role: str
) -> None:
    rule = MATRIX[name]
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = getattr(client, rule.method)(_url_for(name, user), rule.data)
    if role in rule.allowed:
        assert response.status_code in rule.ok_status
    else:
        assert response.status_code == 403
        assert "You are not allowed to do this" in response.content.decode()


def test_another_users_notification_is_a_404(
    client: Client, investigator: User, analyst: User
) -> None:
    theirs = NotificationFactory(user=analyst, title="CANARY for the analyst")
    client.force_login(investigator)
    response = client.post(ROUTES["accounts:notification_read"].url(pk=theirs.pk))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "CANARY" not in client.get("/accounts/notifications/").content.decode()

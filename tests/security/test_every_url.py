"""ASVS V8 (authorisation): every URL of the project that names an object, walked from the URL
resolver, opened by every attacker with the real id of a record that is not theirs.

For each URL and attacker:

* anonymous users are sent to the login page, whatever the id;
* the answer for the real object is the same as for an id that does not exist, so nothing
  confirms that the object exists: a 404, or a 403 decided before any lookup (a page for
  unit admins only answers 403 to everyone else, for any id);
* nothing is a 200 unless the object is shared unit or catalogue data listed in
  ``VISIBLE`` below (a partner organisation is visible to the unit's analysts, an open
  training session to trainees), and no attacker's POST succeeds (a 200 or a redirect),
  except applying to an open session, which creates the attacker's own application;
* a 404 shows nothing of the victims' records (canaries).

A URL added to the project without an entry in ``OBJECTS`` fails
``test_every_url_with_an_id_is_in_the_matrix``: name the victim's object it takes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from tests.cases.conftest import SHARED_WORLD
from tests.security.conftest import ATTACKERS, CANARY, CASE_CANARY, Hostile
from tests.test_access import MATRIX
from tests.urlwalk import MISSING_ID, Route, all_routes

pytestmark = SHARED_WORLD  # the case world is built once for the module

Kwargs = Callable[[Hostile], dict[str, object]]


def _case(h: Hostile) -> dict[str, object]:
    return {"pk": h.world.case.pk}


def _case_pk(h: Hostile) -> dict[str, object]:
    return {"case_pk": h.world.case.pk}


def _pk(get: Callable[[Hostile], object]) -> Kwargs:
    return lambda h: {"pk": get(h).pk}  # type: ignore[attr-defined]


# The victim's object behind every URL that names one.
OBJECTS: dict[str, Kwargs] = {
    "accounts:notification_read": _pk(lambda h: h.notification),
    **{
        f"cases:{name}": _case
        for name in (
            "detail",
            "edit",
            "transition",
            "incidents",
            "incident_create",
            "persons",
            "persons_csv",
            "person_create",
            "person_link",
            "team",
            "team_add",
            "break_glass",
            "timeline",
            "activity",
            "notes",
        )
    },
    "cases:incident_detail": lambda h: {"pk": h.world.case.pk, "incident_pk": h.world.incident.pk},
    "cases:incident_edit": lambda h: {"pk": h.world.case.pk, "incident_pk": h.world.incident.pk},
    **{
        f"cases:{name}": (lambda h: {"pk": h.world.case.pk, "person_pk": h.world.witness.pk})
        for name in ("person_detail", "person_edit", "person_protect", "person_grants")
    },
    "cases:person_grant_revoke": lambda h: {
        "pk": h.world.case.pk,
        "person_pk": h.world.witness.pk,
        "user_pk": h.world.investigator.pk,
    },
    "cases:team_remove": lambda h: {"pk": h.world.case.pk, "member_pk": h.member.pk},
    "cases:note_edit": lambda h: {"pk": h.world.case.pk, "note_pk": h.note.pk},
    "cases:note_history": lambda h: {"pk": h.world.case.pk, "note_pk": h.note.pk},
    "crimes:detail": lambda h: {"code": "ART8_2_B_I"},
    **{f"evidence:{n}": _case_pk for n in ("register", "create", "integrity")},
    **{
        f"evidence:{n}": _pk(lambda h: h.ev.item)
        for n in ("detail", "edit", "file_add", "transfer", "custody_event", "verify")
    },
    "evidence:transfer_accept": _pk(lambda h: h.transfer),
    "evidence:transfer_cancel": _pk(lambda h: h.transfer),
    "evidence:download": _pk(lambda h: h.ev.original),
    "evidence:preview": _pk(lambda h: h.ev.original),
    "evidence:redaction_approve": _pk(lambda h: h.ev.original),
    "proof:overview": _case_pk,
    "proof:create": _case_pk,
    **{
        f"proof:{n}": _pk(lambda h: h.link.allegation)
        for n in ("matrix", "edit", "matrix_csv", "link_create")
    },
    "proof:item_link": lambda h: {"item_pk": h.ev.item.pk},
    **{
        f"proof:{n}": _pk(lambda h: h.link)
        for n in ("link_revise", "link_withdraw", "link_history")
    },
    "partners:shared_detail": _pk(lambda h: h.p.share_a),
    "partners:share_revoke": _pk(lambda h: h.p.share_a),
    "partners:agreement_document": _pk(lambda h: h.p.agreement_a),
    "partners:case_shares": _case_pk,
    "partners:share_create": _case_pk,
    **{
        f"partners:{n}": _pk(lambda h: h.p.org_a)
        for n in ("detail", "edit", "contact_add", "agreement_add", "invite")
    },
    **{f"meetings:{n}": _pk(lambda h: h.meeting) for n in ("detail", "edit", "minutes")},
    "meetings:action_add": _pk(lambda h: h.meeting),
    "meetings:action_complete": lambda h: {"pk": h.meeting.pk, "action_pk": h.action.pk},
    **{
        f"training:{n}": _pk(lambda h: h.session)
        for n in (
            "session_detail",
            "apply",
            "applications",
            "attendance",
            "assessment",
            "complete",
            "export",
            "session_edit",
        )
    },
    "training:withdraw": _pk(lambda h: h.application),
    "training:certificate_pdf": _pk(lambda h: h.certificate),
    "training:course_edit": _pk(lambda h: h.course),
    "packages:case": _case_pk,
    "packages:request_case": _case_pk,
    "packages:request_share": lambda h: {"share_pk": h.p.share_a.pk},
    **{
        f"packages:{n}": _pk(lambda h: h.package)
        for n in ("detail", "progress", "decide", "revoke", "retry", "download")
    },
}

# Shared unit or catalogue data an attacker may legitimately see (but never change):
# the crime browser is reference data; partner organisations, their agreements and the
# unit's meetings are visible to the unit's staff (the analyst); open training sessions are
# in every staff member's and trainee's catalogue, and anyone in the catalogue may apply.
VISIBLE: dict[str, set[str]] = {
    "crimes:detail": {"outsider", "analyst", "liaison_b", "trainee"},
    "partners:detail": {"analyst"},
    "partners:agreement_document": {"analyst"},
    "meetings:detail": {"analyst"},
    "meetings:minutes": {"analyst"},
    # The analyst sees the meeting, so managing it is a 403 (not a 404) for them.
    "meetings:edit": {"analyst"},
    "meetings:action_add": {"analyst"},
    "meetings:action_complete": {"analyst"},
    "training:session_detail": {"analyst", "trainee"},
    "training:apply": {"analyst", "trainee"},
}
# Views whose POST creates the attacker's *own* record (an application of their own).
OWN_WRITES = {"training:apply"}

PUBLIC = {name for name, rule in MATRIX.items() if rule.public}
ID_ROUTES = {
    route.name: route for route in all_routes() if route.converters and route.name not in PUBLIC
}


def test_every_url_with_an_id_is_in_the_matrix() -> None:
    missing = set(ID_ROUTES) - set(OBJECTS)
    assert not missing, f"name the victim's object for {sorted(missing)} in OBJECTS"
    assert set(OBJECTS) <= set(ID_ROUTES), "OBJECTS names a URL that no longer exists"


def _missing_kwargs(route: Route) -> dict[str, object]:
    return {k: ("NOPE0000" if c != "int" else MISSING_ID) for k, c in route.converters.items()}


def _client(h: Hostile, attacker: str) -> Client:
    client = Client()
    user = h.attacker(attacker)
    if user is not None:
        client.force_login(user)
    return client


def _method(name: str) -> str:
    rule = MATRIX.get(name)
    return rule.method if rule is not None else "get"


def test_no_url_reveals_or_changes_what_is_not_the_attackers(hostile: Hostile) -> None:
    failures: list[str] = []
    for attacker in ATTACKERS:
        failures += _attack(hostile, attacker)
    assert not failures, "\n".join(failures)


def _attack(hostile: Hostile, attacker: str) -> list[str]:
    """Every URL with an id, by one attacker; what went wrong."""
    client = _client(hostile, attacker)
    failures: list[str] = []
    for name in sorted(ID_ROUTES):
        route = ID_ROUTES[name]
        real = route.url(**OBJECTS[name](hostile))
        fake = route.url(**_missing_kwargs(route))
        methods = {_method(name)} if attacker == "anonymous" else {_method(name), "post"}
        for method in sorted(methods):
            response = getattr(client, method)(real)
            status = response.status_code
            where = f"{attacker} {method.upper()} {name} -> {status}"
            if attacker == "anonymous":
                if status != 302 or not response["Location"].startswith("/accounts/login/"):
                    failures.append(f"{where}: not sent to the login page")
                continue
            visible = attacker in VISIBLE.get(name, set())
            if method == "post" and status in (200, 302) and name not in OWN_WRITES:
                failures.append(f"{where}: a read-only attacker may post")
                continue
            if visible:
                continue
            if status == 200:
                failures.append(f"{where}: the object is shown")
                continue
            if status != 404:  # a refusal before any lookup: the same for an id never issued
                other = getattr(client, method)(fake).status_code
                if status != other:
                    failures.append(f"{where}, but {other} for an id that does not exist")
            if status not in (403, 404, 405):
                failures.append(f"{where}: expected 404")
            body = response.content.decode(errors="replace")
            if CANARY in body or CASE_CANARY in body:
                failures.append(f"{where}: a canary is in the page")
    return failures


def test_a_view_of_an_object_answers_404_not_403_to_those_who_may_not_see_it(
    hostile: Hostile,
) -> None:
    """The per-object pages of a case, of a share and of another user's records are 404s for
    the outsider (no role at all), never 403s: a 403 would confirm the object exists."""
    client = _client(hostile, "outsider")
    refused_before_lookup = {n for n, r in MATRIX.items() if not r.per_case} | {
        "cases:break_glass",
        "partners:edit",
        "partners:contact_add",
        "partners:agreement_add",
        "partners:invite",
        "partners:agreement_document",
        "partners:detail",
        "training:course_edit",
        "training:session_edit",
        "training:session_detail",
        "training:apply",
        "training:applications",
        "training:attendance",
        "training:assessment",
        "training:complete",
        "training:export",
        "crimes:detail",
    }
    wrong = []
    for name, route in sorted(ID_ROUTES.items()):
        if name in refused_before_lookup:
            continue
        status = getattr(client, _method(name))(route.url(**OBJECTS[name](hostile))).status_code
        if status != 404:
            wrong.append(f"{name}: {status}")
    assert not wrong, wrong

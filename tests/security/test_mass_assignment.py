"""ASVS V8/V15 (mass assignment): a form takes exactly its declared fields. Posting extra
fields (custodian, owner, status, case, hash...) to a form changes nothing they name.

Two layers: every form class of the project is inspected (explicit field lists, no
``__all__`` or ``exclude``; a field that names a protected attribute must be listed below
with its reason), and real posts with extra fields go through the main edit pages.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import pkgutil
from decimal import Decimal

from django import forms
from django.db import models
from django.test import Client
from django.urls import reverse

from cases.models import Case
from tests.cases.conftest import SHARED_WORLD, open_case
from tests.security.conftest import Hostile

pytestmark = SHARED_WORLD  # the case world is built once for the module

PROJECT_APPS = ("accounts", "audit", "cases", "evidence", "partners", "training")
PROTECTED = {
    "case",
    "custodian",
    "owner",
    "status",
    "sha256",
    "hash",
    "prev_hash",
    "exhibit",
    "reference",
    "created_by",
    "uploaded_by",
    "actor",
    "decided_by",
    "applicant",
    "is_current",
    "attempts",
    "custody_seq",
    "custody_head",
    "is_superuser",
    "is_staff",
    "roles",
    "clearance",
    "organisation",
}
# Forms that take one of those names on purpose, and why that is safe.
DECLARED = {
    ("cases.forms.CaseFilterForm", "status"): "a list filter",
    ("evidence.forms.RegisterFilterForm", "status"): "a list filter",
    ("partners.forms.DirectoryFilterForm", "status"): "a list filter",
    ("evidence.proof.forms.AllegationForm", "status"): "contributors set it (audited)",
    ("partners.forms.OrganisationForm", "status"): "unit admins only",
    ("training.forms.SessionForm", "status"): "training admins only",
    ("partners.meetings.forms.ActionForm", "owner"): "checked by action_add (eligible_owners)",
    ("partners.forms.ShareForm", "organisation"): "the partner to share with (lead, audited)",
    ("training.forms.ApplicationForm", "organisation"): "the applicant's employer (free text)",
}


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        # Sub-packages too: a part of an app (``evidence.proof``) keeps its own forms.
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            name = info.name.rsplit(".", 1)[-1]
            if name == "forms" or name.endswith("_forms"):
                module = importlib.import_module(info.name)
                found += [
                    cls
                    for _name, cls in inspect.getmembers(module, inspect.isclass)
                    if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
                ]
    return found


def test_every_form_declares_its_fields_and_no_protected_attribute_slips_in() -> None:
    classes = _form_classes()
    assert len(classes) > 30
    problems = []
    for cls in classes:
        label = f"{cls.__module__}.{cls.__name__}"
        assert issubclass(cls, forms.Form | forms.ModelForm), label
        meta = getattr(cls, "Meta", None)
        loose = meta is not None and (
            getattr(meta, "fields", None) == "__all__" or getattr(meta, "exclude", None)
        )
        if issubclass(cls, forms.BaseModelForm) and loose:
            problems.append(f"{label}: list its fields explicitly")
        for name in sorted(set(cls.base_fields) & PROTECTED):
            if (label, name) not in DECLARED:
                problems.append(f"{label} takes {name!r}: declare why that is safe")
    assert not problems, "\n".join(problems)


def _value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.date | datetime.datetime | Decimal):
        return str(value)
    if isinstance(value, list | tuple | set) or (
        hasattr(value, "__iter__") and not isinstance(value, str)
    ):
        return [_value(v) for v in value]
    return value


def _data(form: forms.BaseForm) -> dict[str, object]:
    """What the browser would post back for ``form`` unchanged."""
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
            continue
        data[name] = _value(value)
    return data


def _extras(h: Hostile, other_case: Case) -> dict[str, object]:
    return {
        "case": other_case.pk,
        "case_id": other_case.pk,
        "custodian": h.analyst.pk,
        "custodian_id": h.analyst.pk,
        "owner": h.analyst.pk,
        "status": "closed",
        "sha256": "0" * 64,
        "hash": "0" * 64,
        "exhibit": "FORGED/E-9999",
        "reference": "FORGED-0001",
        "created_by": h.analyst.pk,
        "uploaded_by": h.analyst.pk,
        "applicant": h.analyst.pk,
        "is_superuser": "on",
        "is_staff": "on",
        "roles": ["unit_admin"],
        "clearance": "4",
        "custody_seq": "99",
        "username": "forged",
    }


def _snapshot(obj: models.Model, names: list[str]) -> dict[str, object]:
    obj.refresh_from_db()
    return {n: getattr(obj, n) for n in names if hasattr(obj, n)}


def test_extra_fields_posted_to_the_edit_pages_change_nothing_they_name(
    hostile: Hostile,
) -> None:
    from cases.forms import CaseForm, IncidentForm
    from cases.selectors import person_rows
    from evidence.forms import ItemForm

    w = hostile.world
    other_case = open_case(w.lead, title="Another case")
    extras = _extras(hostile, other_case)
    item = hostile.ev.item
    client = Client()
    client.force_login(w.lead)
    cases = [
        (
            reverse("cases:edit", args=[w.case.pk]),
            CaseForm(instance=w.case, user=w.lead),
            w.case,
            ["status", "reference", "created_by_id", "lead_id"],
        ),
        (
            reverse("cases:incident_edit", args=[w.case.pk, w.incident.pk]),
            IncidentForm(instance=w.incident),
            w.incident,
            ["case_id", "created_by_id"],
        ),
    ]
    for url, form, obj, names in cases:
        before = _snapshot(obj, names)
        response = client.post(url, {**_data(form), **extras, "title": "Edited title"})
        assert response.status_code == 302, (url, getattr(response, "context", None))
        assert _snapshot(obj, names) == before, url
    # The evidence item, by its custodian.
    client.force_login(w.investigator)
    form = ItemForm(instance=item, persons=person_rows(w.investigator, item.case))
    names = ["case_id", "custodian_id", "status", "exhibit", "custody_seq", "custody_head"]
    before = _snapshot(item, names)
    data = {**_data(form), **extras, "description": "Edited description"}
    response = client.post(reverse("evidence:edit", args=[item.pk]), data)
    assert response.status_code == 302
    assert _snapshot(item, names) == before
    assert item.description == "Edited description"
    assert item.files.get().blob.sha256 != "0" * 64


def test_extra_fields_cannot_raise_a_user_or_forge_an_application(hostile: Hostile) -> None:
    trainee = hostile.trainee
    client = Client()
    client.force_login(trainee)
    extras = _extras(hostile, hostile.world.case)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "New Name", "preferred_language": "en", **extras},
    )
    assert response.status_code == 302
    trainee.refresh_from_db()
    assert (trainee.username, trainee.is_superuser, trainee.is_staff) == ("h_trainee", False, False)
    assert trainee.full_name == "New Name"
    assert trainee.roles == frozenset({"trainee"})
    response = client.post(
        reverse("training:apply", args=[hostile.session.pk]),
        {
            **extras,
            "country": "UA",
            "organisation": "Prosecutor General",
            "function": "Investigator",
            "years_experience": "3",
            "gender": "female",
            "motivation": "To learn.",
            "status": "accepted",
        },
    )
    assert response.status_code == 302
    application = trainee.training_applications.get()
    assert application.applicant_id == trainee.pk
    assert application.status != "accepted"

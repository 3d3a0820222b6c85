"""The fast select widgets show exactly what Django's own select shows."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.utils import translation
from django_countries.widgets import LazySelect

from cases.forms import CaseFilterForm
from custos.widgets import FastLazySelect, FastSelect


def _normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", ["", "UA", "CI"])
def test_the_country_filter_renders_like_django_select(value: str) -> None:
    field = CaseFilterForm.base_fields["country"]
    assert isinstance(field, forms.ChoiceField)
    with translation.override("fr"):
        fast = FastLazySelect(attrs={"class": "form-select"})
        fast.choices = field.choices
        slow = LazySelect(attrs={"class": "form-select"})
        slow.choices = field.choices
        ours, django = fast.render("country", value), slow.render("country", value)
    assert _normalised(ours) == _normalised(django)
    if value:
        assert f'<option value="{value}" selected>' in ours


def test_labels_and_groups_are_escaped_like_django_select() -> None:
    choices = [("Group <b>", [("a&b", "A <script>")]), ("x", 'Quote " here')]
    fast, slow = FastSelect(choices=choices), forms.Select(choices=choices)
    ours = fast.render("f", "a&b", attrs={"id": "id_f", "required": True})
    assert _normalised(ours) == _normalised(
        slow.render("f", "a&b", {"id": "id_f", "required": True})
    )
    assert "<script>" not in ours

"""Widgets that render the same HTML as Django's, faster where a page showed it was needed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_countries.widgets import LazySelect


class FastOptionsMixin:
    """Renders a ``<select>`` and its options in Python instead of one template include per
    option: the markup of Django's ``select.html``/``select_option.html``, but about 40 times
    fewer function calls for the 250 countries of a filter (the case list spent more than half
    of its time there, see docs/benchmarks.md)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    str(option["value"]),
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every part is escaped by format_html


class FastSelect(FastOptionsMixin, forms.Select):
    pass


class FastLazySelect(FastOptionsMixin, LazySelect):
    """For django-countries' lazily translated country choices."""

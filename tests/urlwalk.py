"""Every URL pattern of the project, from the resolver, so a new view cannot hide from tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

MISSING_ID = 987654321  # an id no test object has


@dataclass(frozen=True)
class Route:
    name: str
    callback: Any
    converters: dict[str, str]

    def url(self, **kwargs: Any) -> str:
        values = {}
        for key, converter in self.converters.items():
            if key in kwargs:
                values[key] = kwargs[key]
            elif converter == "int":
                values[key] = MISSING_ID
            elif converter == "uuid":
                values[key] = uuid.uuid4()
            else:
                values[key] = "missing"
        return reverse(self.name, kwargs=values)


def _walk(patterns: list[Any], namespace: str | None, converters: dict[str, str]) -> list[Route]:
    routes = []
    for entry in patterns:
        found = {
            key: type(conv).__name__.removesuffix("Converter").lower()
            for key, conv in getattr(entry.pattern, "converters", {}).items()
        }
        merged = {**converters, **found}
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            if entry.namespace and namespace:
                inner = f"{namespace}:{entry.namespace}"
            routes.extend(_walk(entry.url_patterns, inner, merged))
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL pattern {entry.pattern} has no name"
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            routes.append(Route(name=name, callback=entry.callback, converters=merged))
    return routes


def all_routes() -> list[Route]:
    return _walk(get_resolver().url_patterns, None, {})

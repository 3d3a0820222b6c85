"""Where the current request comes from, for audit rows written deep inside services."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None
    user_agent: str


_current: ContextVar[RequestContext | None] = ContextVar("custos_audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def bind(context: RequestContext | None):
    return _current.set(context)


def unbind(token) -> None:
    _current.reset(token)

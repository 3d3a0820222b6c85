"""What a test reads from a response, typed (the test client's responses may stream)."""

from __future__ import annotations

from django.http.response import HttpResponseBase


def streamed(response: HttpResponseBase) -> bytes:
    """The body of a streamed response (a download, a static file), read whole; a response
    that was not streamed fails the test."""
    assert response.streaming, "the response is not streamed"
    return response.getvalue()


def body(response: HttpResponseBase) -> bytes:
    """The body of a response, streamed or not."""
    return response.getvalue()

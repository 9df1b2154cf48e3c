"""``ThreadLocals``: kept so that settings listing it still load; it does nothing.

The old package stored the current request in a thread-local so that gateways could build
absolute URLs. Nothing of ours needs that: a gateway is handed the request as an argument.
The middleware passes every request through untouched, in sync and async stacks, and can be
removed from MIDDLEWARE at any time. ``get_current_request()`` is kept for custom gateways
that import it; it always returns None (declare a ``request`` parameter instead).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

__all__ = ["ThreadLocals", "get_current_request"]


class ThreadLocals:
    """A pass-through middleware: the request goes on, the response comes back, unchanged."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        return self.get_response(request)


def get_current_request() -> None:
    """Always None: no request is kept in a thread-local. A gateway that needs the request
    declares a ``request`` parameter on ``make_call`` / ``send_sms`` and is given it."""
    return None

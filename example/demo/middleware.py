"""A strict Content-Security-Policy on every page of the demo.

The package's pages need no inline script or style, no ``eval`` and nothing from another origin,
so a site may send this policy; the browser tests (tests/browser) fail on any violation. Django 6
has a CSP middleware of its own (``django.middleware.csp``); this one runs on Django 5.2 too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def content_security_policy(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response

    return middleware

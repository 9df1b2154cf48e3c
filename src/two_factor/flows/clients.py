"""Who is on the other end of a request, as the audit log and the trusted browsers record it.

The IP address is ``REMOTE_ADDR``: behind a proxy the site must set it right (with the proxy's
own module, or a middleware that trusts only its proxy's ``X-Forwarded-For``). Headers that any
client can send are not believed here.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ..models import USER_AGENT_LENGTH

_BROWSERS = (("Edge", r"Edg(e|A|iOS)?/"), ("Opera", r"OPR/|Opera"), ("Firefox", r"Firefox/|FxiOS/"),
             ("Chrome", r"Chrome/|CriOS/"), ("Safari", r"Safari/"))
_SYSTEMS = (("Android", r"Android"), ("iOS", r"iPhone|iPad|iPod"), ("Windows", r"Windows"),
            ("macOS", r"Mac OS X|Macintosh"), ("ChromeOS", r"CrOS"), ("Linux", r"Linux"))


def client_ip(request: Any) -> str | None:
    """The request's ``REMOTE_ADDR`` if it is an IP address, else None."""
    value = getattr(request, "META", {}).get("REMOTE_ADDR") if request is not None else None
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def user_agent(request: Any) -> str:
    """The request's ``User-Agent``, cut to what the tables keep, without NUL characters (which
    PostgreSQL refuses in text)."""
    value = getattr(request, "META", {}).get("HTTP_USER_AGENT", "") if request is not None else ""
    return str(value).replace("\x00", "")[:USER_AGENT_LENGTH]


def browser_label(agent: str) -> str:
    """A short name for a user agent ("Firefox / Linux"); the agent itself when unknown."""
    return known_browser(agent) or agent


def known_browser(agent: str) -> str | None:
    """The short name of a user agent of a browser or system we know, else None."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, agent)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, agent)), None)
    if browser and system:
        return f"{browser} / {system}"
    return browser or system

"""System checks of the WebAuthn settings: values the browser API does not know fail early."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Warning, register

from ...conf import settings

CHOICES = {
    "TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT": ("required", "preferred", "discouraged"),
    "TWO_FACTOR_WEBAUTHN_ATTESTATION_CONVEYANCE": ("none", "indirect", "direct", "enterprise"),
    "TWO_FACTOR_WEBAUTHN_AUTHENTICATOR_ATTACHMENT": (None, "platform", "cross-platform"),
}
TRANSPORTS = ("usb", "nfc", "ble", "smart-card", "internal", "cable", "hybrid")


@register()
def check_webauthn_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    problems: list[Any] = []
    if not settings.TWO_FACTOR_WEBAUTHN_RP_NAME:
        problems.append(Warning(
            "TWO_FACTOR_WEBAUTHN_RP_NAME is not set: the WebAuthn method is not offered.",
            hint="Set it to the name of your site, as browsers show it to the user.",
            id="two_factor_webauthn.W001"))
    for number, (name, choices) in enumerate(CHOICES.items(), start=1):
        value = getattr(settings, name)
        if value not in choices:
            problems.append(Error(
                f"{name} is {value!r}.", hint=f"Use one of {', '.join(map(repr, choices))}.",
                id=f"two_factor_webauthn.E00{number}"))
    transports = settings.TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS
    if transports is not None and (not isinstance(transports, list | tuple)
                                   or any(t not in TRANSPORTS for t in transports)):
        problems.append(Error(
            f"TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS is {transports!r}.",
            hint=f"Use a list of {', '.join(map(repr, TRANSPORTS))}, or None.",
            id="two_factor_webauthn.E004"))
    return problems

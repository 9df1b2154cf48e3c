"""Included under ``account/two_factor/webauthn/`` in the ``two_factor`` namespace."""

from django.urls import path

from .views import AddKeyView, LoginOptionsView, PasskeyLoginView, PasskeyOptionsView, RegisterOptionsView

urlpatterns = [
    path("add/", AddKeyView.as_view(), name="webauthn_add"),
    path("register/options/", RegisterOptionsView.as_view(), name="webauthn_register_options"),
    path("login/options/", LoginOptionsView.as_view(), name="webauthn_login_options"),
    path("passkey/options/", PasskeyOptionsView.as_view(), name="webauthn_passkey_options"),
    path("passkey/login/", PasskeyLoginView.as_view(), name="webauthn_passkey_login"),
]

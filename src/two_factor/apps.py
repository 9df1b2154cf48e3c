from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    name = "two_factor"
    label = "two_factor"
    verbose_name = _("Django Two Factor Authentication")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .conf import settings
        from .flows.audit import record_event
        from .flows.notify import notify_user
        from .signals import security_event

        # Each does nothing (and no query) while its setting is off.
        security_event.connect(record_event, dispatch_uid="two_factor.audit_log")
        security_event.connect(notify_user, dispatch_uid="two_factor.notify_email")
        self.connect_reauthentication()
        self.connect_trusted_browsers()

        # The one patch we make, and only because the setting asks for it (the default, as
        # in django-two-factor-auth): the default admin's login page sends users to ours.
        if settings.TWO_FACTOR_PATCH_ADMIN:
            from .admin import patch_admin

            patch_admin()

    def connect_trusted_browsers(self) -> None:
        """A device deleted revokes the browsers trusted for it. Connected to each device model
        rather than to every model, which would cost every other model Django's fast delete."""
        from django.db.models.signals import post_delete

        from django_otp import device_classes

        from .flows.trusted import revoke_for_deleted_device

        for model in device_classes():
            post_delete.connect(revoke_for_deleted_device, sender=model,
                                dispatch_uid=f"two_factor.trusted_browsers.{model._meta.label}")

    def connect_reauthentication(self) -> None:
        """Sign-ins record when the session last proved its user (only while
        ``TWO_FACTOR_REAUTHENTICATION_AGE`` is set; otherwise they do nothing)."""
        from django.contrib.auth.signals import user_logged_in

        from .flows.reauth import on_user_logged_in, on_user_verified
        from .signals import user_verified

        user_logged_in.connect(on_user_logged_in, dispatch_uid="two_factor.reauth_login")
        user_verified.connect(on_user_verified, dispatch_uid="two_factor.reauth_verified")

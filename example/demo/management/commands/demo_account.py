"""Create (or refresh) the demo account and print how to sign in with it."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from django_otp import devices_for_user

USERNAME = "demo"
PASSWORD = "demo-password"  # noqa: S105 - printed for the person trying the demo
EMAIL = "demo@example.com"


class Command(BaseCommand):
    help = ("Creates the demo superuser, or resets its password and removes its two-factor "
            "devices: the visitor sets two-factor authentication up.")

    @transaction.atomic
    def handle(self, *args, **options):
        user, created = get_user_model().objects.get_or_create(username=USERNAME)
        user.is_active = user.is_staff = user.is_superuser = True
        user.email = EMAIL
        user.set_password(PASSWORD)
        user.save()
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        removed = len(devices)

        style = self.style
        self.stdout.write(style.SUCCESS("Demo account created." if created else "Demo account refreshed."))
        if removed:
            self.stdout.write(f"  (its {removed} two-factor device(s) were removed)")
        self.stdout.write(f"  username: {USERNAME}\n  password: {PASSWORD}")
        self.stdout.write(
            "Open http://127.0.0.1:8000/ and sign in; then set up two-factor authentication.\n"
            "For security keys and passkeys open http://localhost:8000/ instead (WebAuthn needs "
            "a host name, not an IP address).\n"
            "Tokens sent by text message or call, and emails, are printed in this console.")

"""Create (or refresh) the demo account and print how to sign in with it."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

USERNAME = "demo"
PASSWORD = "demo-password"  # noqa: S105 - printed for the person trying the demo


class Command(BaseCommand):
    help = "Creates the demo superuser with an authenticator device and backup codes."

    def handle(self, *args, **options):
        user, _created = get_user_model().objects.get_or_create(username=USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_password(PASSWORD)
        user.save()
        totp, _created = TOTPDevice.objects.get_or_create(user=user, name="Authenticator app")
        backup, _created = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
        backup.token_set.all().delete()
        codes = [backup.token_set.create(token=StaticToken.random_token()).token for _ in range(5)]
        self.stdout.write(self.style.SUCCESS("Demo account ready."))
        self.stdout.write(f"  username: {USERNAME}\n  password: {PASSWORD}")
        self.stdout.write(f"  authenticator app (paste or turn into a QR code): {totp.config_url}")
        self.stdout.write(f"  backup codes, one use each: {' '.join(codes)}")
        self.stdout.write("Open http://127.0.0.1:8000/admin/ and sign in with a code.")

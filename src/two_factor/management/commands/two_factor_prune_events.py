import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from two_factor.conf import settings
from two_factor.models import SecurityEvent, TrustedBrowser


class Command(BaseCommand):
    @property
    def help(self):  # type: ignore[override]  # BaseCommand declares a plain str
        return gettext("Deletes security events older than the given number of days, and trusted "
                       "browsers revoked or expired that long ago.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True)

    def handle(self, *args, **options):
        days = options["days"]
        if days < 1:
            raise CommandError(gettext("--days must be at least 1."))
        cutoff = timezone.now() - datetime.timedelta(days=days)
        events, _ = SecurityEvent.objects.filter(time__lt=cutoff).delete()
        browsers, _ = TrustedBrowser.objects.filter(self.dead_before(cutoff)).delete()
        self.stdout.write(gettext("%(events)d security events and %(browsers)d trusted browsers "
                                  "deleted.") % {"events": events, "browsers": browsers})

    @staticmethod
    def dead_before(cutoff):
        """Browsers revoked before ``cutoff``, or whose cookies had expired by then."""
        dead = Q(revoked_at__lt=cutoff)
        age = settings.TWO_FACTOR_REMEMBER_COOKIE_AGE
        if age:
            dead |= Q(created_at__lt=cutoff - datetime.timedelta(seconds=int(age)))
        else:  # no remember cookies at all: every old record is dead
            dead |= Q(created_at__lt=cutoff)
        return dead

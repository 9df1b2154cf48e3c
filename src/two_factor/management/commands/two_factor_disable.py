from django.core.management.base import BaseCommand
from django.utils.translation import gettext, ngettext

from two_factor.events import TWO_FACTOR_DISABLED, emit
from two_factor.flows.devices import remove_all_devices

from .two_factor_status import find_users


class Command(BaseCommand):
    @property
    def help(self):  # type: ignore[override]  # BaseCommand declares a plain str
        # Translated when asked for: argparse cannot format a lazy string.
        return gettext("Disables two-factor authentication for the given users: removes all their devices.")

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", metavar="username")  # none: nothing to do

    def handle(self, *args, **options):
        # Every name is checked before anything is removed.
        for user in find_users(options["usernames"]):
            count = remove_all_devices(user)
            emit(None, TWO_FACTOR_DISABLED, user=user, devices=count, source="command")
            message = ngettext("%(username)s: %(count)d device removed",
                               "%(username)s: %(count)d devices removed", count)
            self.stdout.write(message % {"username": user.get_username(), "count": count})

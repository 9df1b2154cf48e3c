from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from two_factor.utils import default_device


def find_users(usernames):
    """The users named, in order; a ``CommandError`` naming the first unknown one."""
    manager = get_user_model()._default_manager
    users = []
    for username in usernames:
        try:
            users.append(manager.get_by_natural_key(username))
        except manager.model.DoesNotExist as exc:
            raise CommandError(_('User "%(username)s" does not exist.')
                               % {"username": username}) from exc
    return users


class Command(BaseCommand):
    @property
    def help(self):  # type: ignore[override]  # BaseCommand declares a plain str
        # Translated when asked for: argparse cannot format a lazy string.
        return _("Says for each user whether two-factor authentication is enabled.")

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", metavar="username")  # none: nothing to do

    def handle(self, *args, **options):
        for user in find_users(options["usernames"]):
            status = _("enabled") if default_device(user) is not None else _("disabled")
            self.stdout.write(f"{user.get_username()}: {status}")

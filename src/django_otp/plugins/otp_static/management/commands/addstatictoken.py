from typing import cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from django_otp.plugins.otp_static.hashing import MAX_PLAINTEXT_LENGTH
from django_otp.plugins.otp_static.lib import add_static_token


class Command(BaseCommand):
    @property
    def help(self):  # type: ignore[override]  # BaseCommand declares a plain str
        # Translated when asked for: argparse cannot format a lazy string.
        return _("Adds a single static OTP token to the given user, creating a device if needed.")

    def add_arguments(self, parser):
        parser.add_argument("-t", "--token", dest="token",
                            help=_("The token to add (16 characters at most). Default: a random one."))
        parser.add_argument("username", help=_("The user to give the token to."))

    def handle(self, *args, **options):
        token = options.get("token")
        if token is not None and not 0 < len(token) <= MAX_PLAINTEXT_LENGTH:
            raise CommandError(_("A static token has 1 to 16 characters."))
        try:
            static_token = add_static_token(options["username"], token)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(_('User "%(username)s" does not exist.')
                               % {"username": options["username"]}) from exc
        # The code, also when stored hashed: add_tokens() sets plaintext on the tokens it returns.
        self.stdout.write(cast(str, static_token.plaintext))

"""``manage.py otp_reencrypt [--decrypt] [--batch-size N]``: every stored secret under the newest key.

Every ``SecretField`` of every installed model (third-party devices included) is read in batches
of primary keys, and each row whose stored value is not yet under the newest key of
``OTP_ENCRYPTION_KEYS`` (or, with ``--decrypt``, not yet plain text) gets a new value. A row is
written with one UPDATE of that column alone, on the condition that it still holds the value that
was read: a concurrent change is never overwritten (the row is read again and retried). Running
it twice changes nothing the second time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.lookups import Exact
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from django_otp import crypto
from django_otp.fields import SecretField

#: How often a row that keeps changing under us is read again before it is left for a rerun.
ATTEMPTS = 3


def secret_fields() -> Iterator[tuple[type[models.Model], SecretField]]:
    """Each concrete model's own ``SecretField`` columns (a proxy shares its model's table)."""
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, SecretField):
                yield model, field


def _raw(field: SecretField) -> models.Expression:
    """The column as it is stored (a plain CharField: no decryption on the way out)."""
    return models.ExpressionWrapper(models.F(field.attname), output_field=models.CharField())


def new_stored_value(stored: str, field: SecretField, decrypt: bool) -> str | None:
    """What ``stored`` should become, or None when it is right already."""
    if decrypt:
        return crypto.decrypt(stored, field.secret_context) if crypto.is_encrypted(stored) else None
    if crypto.stored_key_id(stored) == crypto.configured_keys()[0].id:
        # Decrypted all the same: a value under the right key id that does not open is an error.
        crypto.decrypt(stored, field.secret_context)
        return None
    return crypto.encrypt(crypto.decrypt(stored, field.secret_context), field.secret_context)


def _rewrite_row(model: type[models.Model], field: SecretField, pk: Any, stored: str | None,
                 decrypt: bool) -> str:
    """Bring one row to the target form; returns what happened (a key of the counts)."""
    manager = model._base_manager
    for _attempt in range(ATTEMPTS):
        if stored is None:
            return "empty"
        new = new_stored_value(stored, field, decrypt)
        if new is None:
            return "current"
        written = manager.filter(Exact(_raw(field), stored), pk=pk).update(
            **{field.attname: models.Value(new, output_field=models.CharField())})
        if written:
            return "changed"
        row = manager.filter(pk=pk).values_list(_raw(field), flat=True)
        if not row:
            return "deleted"
        stored = row[0]
    return "busy"


def rewrite_field(model: type[models.Model], field: SecretField, decrypt: bool = False,
                  batch_size: int = 500) -> tuple[Counter[str], list[str]]:
    """Rewrite every row of one column; the counts, and the errors of rows that cannot be read."""
    counts: Counter[str] = Counter()
    errors: list[str] = []
    rows = model._base_manager.order_by("pk").annotate(_otp_stored=_raw(field))
    last_pk = None
    while True:
        batch = rows if last_pk is None else rows.filter(pk__gt=last_pk)
        page = list(batch.values_list("pk", "_otp_stored")[:batch_size])
        if not page:
            return counts, errors
        with transaction.atomic(using=model._base_manager.db):
            for pk, stored in page:
                try:
                    counts[_rewrite_row(model, field, pk, stored, decrypt)] += 1
                except crypto.DecryptionError as error:
                    counts["failed"] += 1
                    errors.append(f"pk={pk}: {error}")
        last_pk = page[-1][0]


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # BaseCommand declares a plain str
        # Translated when asked for: argparse cannot format a lazy string.
        return _("Re-encrypts every stored device secret under the newest key of "
                 "OTP_ENCRYPTION_KEYS, or with --decrypt stores them in plain text again.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--decrypt", action="store_true",
            help=_("Store every secret in plain text (before OTP_ENCRYPTION_KEYS is set to None)."))
        parser.add_argument(
            "--batch-size", type=int, default=500,
            help=_("Rows read at a time (default 500)."))

    def handle(self, *args: Any, decrypt: bool = False, batch_size: int = 500, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size must be 1 or more."))
        if not crypto.configured_keys() and not decrypt:
            raise CommandError(_("OTP_ENCRYPTION_KEYS is not set: there is no key to encrypt with."))
        failed = 0
        for model, field in secret_fields():
            counts, errors = rewrite_field(model, field, decrypt=decrypt, batch_size=batch_size)
            self.stdout.write(self._summary(field.secret_context, counts, decrypt))
            for error in errors:
                self.stderr.write(f"{field.secret_context} {error}")
            failed += counts["failed"]
        if failed:
            raise CommandError(ngettext("%(count)d secret could not be decrypted; see above.",
                                        "%(count)d secrets could not be decrypted; see above.",
                                        failed) % {"count": failed})

    def _summary(self, context: str, counts: Counter[str], decrypt: bool) -> str:
        # Whole sentences, each count with its own word, for the translators.
        template = (_("%(context)s: %(changed)d decrypted, %(current)d already right, "
                      "%(empty)d empty, %(failed)d failed") if decrypt else
                    _("%(context)s: %(changed)d re-encrypted, %(current)d already right, "
                      "%(empty)d empty, %(failed)d failed"))
        text = template % {"context": context, **{
            name: counts[name] for name in ("changed", "current", "empty", "failed")}}
        if counts["busy"]:
            text += _("; %(busy)d kept changing: run the command again") % {"busy": counts["busy"]}
        return text

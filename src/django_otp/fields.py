"""``SecretField``: a device secret that is encrypted in the database when keys are configured.

In Python the attribute holds the plain text (a hex key stays a hex key, so ``bin_key``,
``config_url`` and verification are unchanged). Writing to the database encrypts it under the
newest key of ``OTP_ENCRYPTION_KEYS`` (or keeps it plain when the setting is None).

Reading a row decrypts its secret, whichever configured key wrote it; plain text rows (written
before encryption was on) pass through. A row that no configured key opens (its key left the
setting before ``manage.py otp_reencrypt`` ran, or the value was altered) still loads: its
attribute holds a ``StoredSecret``, and only reading the attribute raises
``crypto.DecryptionError``. So such a device lists, shows and saves (its stored value written back
as it was), the pages of its user keep working, and it refuses every token. A dump
(``dumpdata``) holds the stored form, and ``loaddata`` reads it back.

``max_length`` is the length of the plain text, as in the forms and validators; the column is
made wide enough for the encrypted form (``column_length``). The stored value of an encrypted
secret changes on every write (a fresh nonce), so it cannot be compared in SQL: while keys are
configured, every lookup but ``isnull`` raises ``FieldError``. Without keys (the default) the
values are stored in plain text and the field has a ``CharField``'s lookups, as in django-otp
(``TOTPDevice.objects.filter(key=...)``). A device plugin of another project may use the field
for its own secret; ``manage.py otp_reencrypt`` finds it through the app registry.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.db import models
from django.db.models.lookups import IsNull
from django.db.models.query_utils import DeferredAttribute
from django.utils.datastructures import DictWrapper
from django.utils.translation import gettext_lazy as _

from . import crypto

__all__ = ["SecretField", "StoredSecret"]


def validate_ascii(value: str) -> None:
    """The column width is computed for one byte a character."""
    if not value.isascii():
        raise ValidationError(_("Use ASCII characters only."), code="ascii")


class StoredSecret:
    """A stored secret that no configured key could decrypt when its row was loaded. ``str()``
    tries again (the key may be back), and raises ``crypto.DecryptionError`` if it still fails."""

    __slots__ = ("stored", "context")

    def __init__(self, stored: str, context: str) -> None:
        self.stored = stored
        self.context = context

    def __str__(self) -> str:
        return crypto.decrypt(self.stored, self.context)

    def __repr__(self) -> str:  # names the column, never its ciphertext
        return f"<StoredSecret of {self.context}>"


class SecretAttribute(DeferredAttribute):
    """The attribute of a ``SecretField``: the plain text. Reading an undecryptable secret (a
    ``StoredSecret``) raises, or, once its key is back, decrypts and keeps the plain text."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)  # loads a deferred column
        if isinstance(value, StoredSecret):
            value = instance.__dict__[self.field.attname] = str(value)
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class SecretField(models.CharField):
    description = _("A secret, encrypted in the database when OTP_ENCRYPTION_KEYS is set")
    default_validators = [validate_ascii]
    descriptor_class = SecretAttribute

    @property
    def column_length(self) -> int | None:
        """The width of the column: the stored (encrypted) form of ``max_length`` characters;
        None without a ``max_length`` (a column without a limit, where the database has one)."""
        return None if self.max_length is None else crypto.stored_length(self.max_length)

    @property
    def secret_context(self) -> str:
        """What a ciphertext is bound to, e.g. ``otp_totp.totpdevice.key``."""
        return f"{self.model._meta.label_lower}.{self.name}"

    def db_type_parameters(self, connection: Any) -> Any:
        return DictWrapper({**self.__dict__, "max_length": self.column_length},
                           connection.ops.quote_name, "qn_")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not (isinstance(value, str) and crypto.is_encrypted(value)):
            return value
        try:
            return crypto.decrypt(value, self.secret_context)
        except crypto.DecryptionError:
            # Not an error yet: the row loads, and reading the attribute raises (see above).
            return StoredSecret(value, self.secret_context)

    def stored_or_plain(self, obj: models.Model) -> Any:
        """What ``obj`` holds: the plain text, or a ``StoredSecret`` that could not be decrypted."""
        if self.attname in obj.__dict__:
            return obj.__dict__[self.attname]
        return getattr(obj, self.attname)  # a deferred column: loaded (and decrypted) now

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return self.stored_or_plain(model_instance)

    def value_from_object(self, obj: models.Model) -> Any:
        """The plain text; a ``StoredSecret`` that cannot be decrypted as it is, so that
        ``dumpdata`` writes its stored form (``value_to_string``) instead of failing."""
        try:
            return super().value_from_object(obj)
        except crypto.DecryptionError:
            return self.stored_or_plain(obj)

    def to_python(self, value: Any) -> Any:
        """The plain text; a stored (encrypted) form, as ``loaddata`` gives it, is decrypted."""
        if isinstance(value, StoredSecret):
            value = value.stored
        value = super().to_python(value)
        if isinstance(value, str) and crypto.is_encrypted(value):
            try:
                return crypto.decrypt(value, self.secret_context)
            except crypto.DecryptionError:
                raise ValidationError(
                    _("This encrypted value cannot be decrypted with the configured keys."),
                    code="undecryptable") from None
        return value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, StoredSecret):
            return value.stored  # undecryptable: written back exactly as it was loaded
        value = super().get_prep_value(value)
        if value is None or not crypto.configured_keys():
            return value
        return crypto.encrypt(value, self.secret_context)

    def value_to_string(self, obj: models.Model) -> Any:
        """The stored form: a dump holds the ciphertext, not the secret."""
        return self.get_prep_value(self.stored_or_plain(obj))

    def get_lookup(self, lookup_name: str) -> Any:
        """A CharField's lookups while the values are stored in plain text (no keys, as in
        django-otp); with keys configured, ``isnull`` alone."""
        if lookup_name == "isnull":
            return IsNull
        if not crypto.configured_keys():
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.secret_context} is a SecretField: its stored value is encrypted with a fresh "
            f"nonce on every write, so it cannot be compared in the database "
            f"('{lookup_name}' lookup). Load the rows and compare in Python.")

    def get_transform(self, lookup_name: str) -> Any:
        if not crypto.configured_keys():
            return super().get_transform(lookup_name)
        return None

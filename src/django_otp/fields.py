"""``SecretField``: a device secret that is encrypted in the database when keys are configured.

In Python the attribute holds the plain text (a hex key stays a hex key, so ``bin_key``,
``config_url`` and verification are unchanged). Writing to the database encrypts it under the
newest key of ``OTP_ENCRYPTION_KEYS`` (or keeps it plain when the setting is None); reading
decrypts it, whichever configured key wrote it, and passes plain text through. Serializers
(``dumpdata``) get the stored form, and ``loaddata`` reads it back.

``max_length`` is the length of the plain text, as in the forms and validators; the column is
made wide enough for the encrypted form (``column_length``). The stored value of an encrypted
secret changes on every write (a fresh nonce), so it cannot be compared in SQL: every lookup but
``isnull`` raises ``FieldError``. A device plugin of another project may use the field for its
own secret; ``manage.py otp_reencrypt`` finds it through the app registry.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.db import models
from django.db.models.lookups import IsNull
from django.utils.datastructures import DictWrapper
from django.utils.translation import gettext_lazy as _

from . import crypto

__all__ = ["SecretField"]


def validate_ascii(value: str) -> None:
    """The column width is computed for one byte a character."""
    if not value.isascii():
        raise ValidationError(_("Use ASCII characters only."), code="ascii")


class SecretField(models.CharField):
    description = _("A secret, encrypted in the database when OTP_ENCRYPTION_KEYS is set")
    default_validators = [validate_ascii]

    @property
    def column_length(self) -> int:
        """The width of the column: the stored (encrypted) form of ``max_length`` characters."""
        return crypto.stored_length(self.max_length)

    @property
    def secret_context(self) -> str:
        """What a ciphertext is bound to, e.g. ``otp_totp.totpdevice.key``."""
        return f"{self.model._meta.label_lower}.{self.name}"

    def db_type_parameters(self, connection: Any) -> Any:
        return DictWrapper({**self.__dict__, "max_length": self.column_length},
                           connection.ops.quote_name, "qn_")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return crypto.decrypt(value, self.secret_context)

    def to_python(self, value: Any) -> Any:
        """The plain text; a stored (encrypted) form, as ``loaddata`` gives it, is decrypted."""
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
        value = super().get_prep_value(value)
        if value is None or not crypto.configured_keys():
            return value
        return crypto.encrypt(value, self.secret_context)

    def value_to_string(self, obj: models.Model) -> Any:
        """The stored form: a dump holds the ciphertext, not the secret."""
        return self.get_prep_value(self.value_from_object(obj))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        raise FieldError(
            f"{self.secret_context} is a SecretField: its stored value is encrypted with a fresh "
            f"nonce on every write, so it cannot be compared in the database "
            f"('{lookup_name}' lookup). Load the rows and compare in Python.")

    def get_transform(self, lookup_name: str) -> Any:
        return None

"""The key column becomes a ``SecretField``, wide enough for an encrypted key (see
``django_otp.crypto``):
a plain key has up to 80 characters, its stored form up to 161.
Same column name, same default; rows keep their value."""

import django_otp.fields
import django_otp.plugins.otp_totp.models
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("otp_totp", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="totpdevice",
            name="key",
            field=django_otp.fields.SecretField(default=django_otp.plugins.otp_totp.models.default_key, help_text="A hex-encoded secret key of up to 40 bytes.", max_length=80, validators=[django_otp.plugins.otp_totp.models.key_validator]),
        ),
    ]

"""The key column becomes a ``SecretField``, wide enough for an encrypted key (see
``django_otp.crypto``):
a plain key has up to 40 characters, its stored form up to 108.
Same column name, same default; rows keep their value."""

import django_otp.fields
import two_factor.plugins.phonenumber.models
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("phonenumber", "0100_phonedevice_last_t"),
    ]

    operations = [
        migrations.AlterField(
            model_name="phonedevice",
            name="key",
            field=django_otp.fields.SecretField(default=two_factor.plugins.phonenumber.models.default_key, help_text="Hex-encoded secret key", max_length=40, validators=[two_factor.plugins.phonenumber.models.key_validator], verbose_name="key"),
        ),
    ]

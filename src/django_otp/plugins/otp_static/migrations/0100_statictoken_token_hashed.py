"""Widen ``StaticToken.token`` so that it can hold a salted hash (still indexed)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("otp_static", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="statictoken",
            name="token",
            field=models.CharField(db_index=True, max_length=128),
        ),
    ]

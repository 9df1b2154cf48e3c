"""The phone device table, with the columns that the old packages left it with.

Databases of the old packages may have the table already: the old ``two_factor`` app created it
(migrations 0001-0007) and then handed it over without dropping it (0008), with or without a
recorded ``phonenumber`` 0001. So the model enters the migration state here, and the table is
created only when it is missing; an existing table, and its rows, are left as they are.
"""

import django.db.models.deletion
import phonenumber_field.modelfields
from django.conf import settings
from django.db import migrations, models

import two_factor.plugins.phonenumber.models

TABLE = "two_factor_phonedevice"


def create_table_if_missing(apps, schema_editor):
    if TABLE in schema_editor.connection.introspection.table_names():
        return
    schema_editor.create_model(apps.get_model("phonenumber", "PhoneDevice"))


def drop_table(apps, schema_editor):
    if TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.delete_model(apps.get_model("phonenumber", "PhoneDevice"))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The model in the migration state only: RunPython below sees it, as a historical model.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PhoneDevice",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(help_text="The human-readable name of this device.", max_length=64)),
                        ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                        ("number", phonenumber_field.modelfields.PhoneNumberField(max_length=128, region=None, verbose_name="number")),
                        ("key", models.CharField(default=two_factor.plugins.phonenumber.models.default_key, help_text="Hex-encoded secret key", max_length=40, validators=[two_factor.plugins.phonenumber.models.key_validator], verbose_name="key")),
                        ("method", models.CharField(choices=[("call", "Phone call"), ("sms", "Text message")], max_length=4, verbose_name="method")),
                        ("throttling_failure_timestamp", models.DateTimeField(blank=True, default=None, help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.", null=True)),
                        ("throttling_failure_count", models.PositiveIntegerField(default=0, help_text="Number of successive failed attempts.")),
                        ("user", models.ForeignKey(help_text="The user that this device belongs to.", on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "phone device",
                        "verbose_name_plural": "phone devices",
                        "db_table": TABLE,
                        "abstract": False,
                    },
                ),
            ],
        ),
        # The table, unless an old database has it.
        migrations.RunPython(create_table_if_missing, drop_table),
    ]

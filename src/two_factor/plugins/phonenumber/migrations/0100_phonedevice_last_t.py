"""New columns that the old packages never had (the number leaves room for their names):
``last_t`` makes a phone token single use; ``last_generated_timestamp`` limits how often a
token is sent."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("phonenumber", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="phonedevice",
            name="last_t",
            field=models.BigIntegerField(default=-1, help_text="The time step of the last verified token. A token of this step or an earlier one is refused."),
        ),
        migrations.AddField(
            model_name="phonedevice",
            name="last_generated_timestamp",
            field=models.DateTimeField(blank=True, help_text="The last time a token was generated for this device.", null=True),
        ),
    ]

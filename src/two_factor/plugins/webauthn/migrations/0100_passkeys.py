from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('two_factor_webauthn', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='webauthndevice',
            name='discoverable',
            field=models.BooleanField(blank=True, default=None, help_text='Whether the credential is discoverable (a passkey); empty if unknown.', null=True),
        ),
        migrations.AddField(
            model_name='webauthndevice',
            name='user_handle',
            field=models.CharField(blank=True, help_text='The user handle stored in a passkey (base64url).', max_length=128, null=True),
        ),
        migrations.AlterField(
            model_name='webauthndevice',
            name='key_handle',
            field=models.TextField(db_index=True, help_text='The credential id (base64url).'),
        ),
        migrations.AlterField(
            model_name='webauthndevice',
            name='sign_count',
            field=models.BigIntegerField(default=0, help_text='The signature counter the authenticator reported last.'),
        ),
    ]

"""The programme summary's entry in the admin index (a proxy model, no table), and its permission for grants_admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the proxy's must exist now to be granted.
    app_config = apps.get_app_config("grants")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    from grants.permissions import grant_group_permissions

    grant_group_permissions(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [("grants", "0005_release_money_triggers")]

    operations = [
        migrations.CreateModel(
            name='ProgrammeSummary',
            fields=[
            ],
            options={
                'verbose_name': 'programme summary',
                'verbose_name_plural': 'programme summary',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('grants.project',),
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]

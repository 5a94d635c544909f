"""The grants_admin group gets the permissions of the new models (progress reports, expense claims and their audit trail)."""

from django.db import migrations


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("grants")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    from grants.permissions import grant_group_permissions

    grant_group_permissions(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [("grants", "0012_beneficiary_reporting")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

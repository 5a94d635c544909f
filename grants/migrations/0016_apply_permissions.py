"""The grants_admin group gets the permissions of the applicants' area (online rules of a call, declared
documents, applicants' accounts and drafts, read only)."""

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
    dependencies = [("grants", "0015_apply_online_applications")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

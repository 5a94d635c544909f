"""A funded project is an intervention too: each existing project gets its intervention row (same
title, sites, zones, dates, night-time flag, granted amount as cost; cancelled if withdrawn)."""

import django.db.models.deletion
from django.db import migrations, models


def projects_become_interventions(apps, schema_editor):
    Project = apps.get_model("grants", "Project")
    Intervention = apps.get_model("interventions", "Intervention")
    for project in Project.objects.filter(intervention__isnull=True).iterator():  # a few hundred at most
        intervention = Intervention.objects.create(
            what=(project.title_it or project.title_en)[:200], kind="grant_project",
            partner=project.beneficiary[:200], place=project.sites, start_on=project.start_on,
            end_on=project.end_on, night_time=project.night_service, cost=project.granted_amount,
            cancelled=project.status == "withdrawn",
        )  # fmt: skip
        intervention.zones.set(project.zones.all())
        project.intervention = intervention
        project.save(update_fields=["intervention"])


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0013_reporting_permissions"),
        ("interventions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="intervention",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="grant_project",
                to="interventions.intervention",
                verbose_name="intervention",
            ),
        ),
        migrations.RunPython(projects_become_interventions, migrations.RunPython.noop),
    ]

"""Reports and audits point at city.Zone (same table, observatory_zone; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('city', '0001_initial'),
        ('reports', '0009_covering_zone_night_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns the models changes.
            state_operations=[
                    migrations.AlterField(
                        model_name='report',
                        name='zone',
                        field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to='city.zone', verbose_name='zone'),
                    ),
                    migrations.AlterField(
                        model_name='safetyaudit',
                        name='zone',
                        field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audits', to='city.zone', verbose_name='zone'),
                    ),
            ],
            database_operations=[],
        ),
    ]

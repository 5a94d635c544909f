"""Sensors and readings point at city.Zone (same table, observatory_zone; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('city', '0001_initial'),
        ('sensors', '0004_readings_night_brin'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns the models changes.
            state_operations=[
                    migrations.AlterField(
                        model_name='reading',
                        name='zone',
                        field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='city.zone'),
                    ),
                    migrations.AlterField(
                        model_name='sensor',
                        name='zone',
                        field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='sensors', to='city.zone', verbose_name='zone'),
                    ),
            ],
            database_operations=[],
        ),
    ]

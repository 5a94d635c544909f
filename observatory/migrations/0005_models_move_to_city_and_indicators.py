"""The shell keeps its migration history but no models: they live in city and indicators now (state only)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0001_initial'),
        ('grants', '0008_zone_moves_to_city'),
        ('observatory', '0004_stale_sources'),
        ('reports', '0010_zone_moves_to_city'),
        ('sensors', '0005_zone_moves_to_city'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns the models changes.
            state_operations=[
                    migrations.RemoveField(
                        model_name='hotspot',
                        name='zone',
                    ),
                    migrations.RemoveField(
                        model_name='indicator',
                        name='zone',
                    ),
                    migrations.RemoveField(
                        model_name='stalezonenight',
                        name='zone',
                    ),
                    migrations.RemoveField(
                        model_name='zone',
                        name='parent',
                    ),
                    migrations.DeleteModel(
                        name='Alert',
                    ),
                    migrations.DeleteModel(
                        name='HotSpot',
                    ),
                    migrations.DeleteModel(
                        name='Indicator',
                    ),
                    migrations.DeleteModel(
                        name='StaleZoneNight',
                    ),
                    migrations.DeleteModel(
                        name='Zone',
                    ),
            ],
            database_operations=[],
        ),
    ]

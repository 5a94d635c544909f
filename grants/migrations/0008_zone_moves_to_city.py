"""Projects' zones point at city.Zone (same tables; state only)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('city', '0001_initial'),
        ('grants', '0007_disbursement_labels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns the models changes.
            state_operations=[
                    migrations.AlterField(
                        model_name='project',
                        name='zones',
                        field=models.ManyToManyField(blank=True, editable=False, related_name='grant_projects', to='city.zone', verbose_name='zones'),
                    ),
            ],
            database_operations=[],
        ),
    ]

"""Zone and StaleZoneNight move from observatory to city, keeping their tables (state only)."""

import django.contrib.gis.db.models.fields
import django.db.models.deletion
from django.db import migrations, models

# Content types (and so the permissions groups hold on these models) follow the models to their new app.
MODELS = ('zone', 'stalezonenight')


def _move_content_types(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def rename_content_types(apps, schema_editor):
    _move_content_types(apps, "observatory", "city")


def rename_content_types_back(apps, schema_editor):
    _move_content_types(apps, "city", "observatory")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('observatory', '0004_stale_sources'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns the models changes.
            state_operations=[
                    migrations.CreateModel(
                        name='Zone',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('name', models.CharField(max_length=200, verbose_name='name')),
                            ('code', models.CharField(max_length=64, unique=True, verbose_name='code')),
                            ('kind', models.CharField(choices=[('municipality', 'Municipality'), ('district', 'District'), ('statistical_zone', 'Statistical zone'), ('hex', 'Hexagonal cell'), ('other', 'Other')], default='other', max_length=32, verbose_name='kind')),
                            ('geom', django.contrib.gis.db.models.fields.MultiPolygonField(srid=4326, verbose_name='boundary')),
                            ('population', models.PositiveIntegerField(blank=True, null=True, verbose_name='population')),
                            ('area_km2', models.FloatField(blank=True, editable=False, null=True, verbose_name='area (km²)')),
                            ('created_at', models.DateTimeField(auto_now_add=True)),
                            ('updated_at', models.DateTimeField(auto_now=True)),
                            ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='city.zone', verbose_name='parent')),
                        ],
                        options={
                            'verbose_name': 'zone',
                            'verbose_name_plural': 'zones',
                            'db_table': 'observatory_zone',
                            'ordering': ['name'],
                        },
                    ),
                    migrations.CreateModel(
                        name='StaleZoneNight',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('night', models.DateField()),
                            ('marked_at', models.DateTimeField(auto_now_add=True)),
                            ('citizens', models.BooleanField(db_default=True, default=True)),
                            ('sensors', models.BooleanField(db_default=False, default=False)),
                            ('zone', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='city.zone')),
                        ],
                        options={
                            'db_table': 'observatory_stalezonenight',
                            'constraints': [models.UniqueConstraint(fields=('zone', 'night'), name='stale_zone_night_unique')],
                        },
                    ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, rename_content_types_back),
    ]

"""Indicator, HotSpot and Alert move from observatory to indicators, keeping their tables (state only)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Content types (and so the permissions groups hold on these models) follow the models to their new app.
MODELS = ('indicator', 'hotspot', 'alert')


def _move_content_types(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def rename_content_types(apps, schema_editor):
    _move_content_types(apps, "observatory", "indicators")


def rename_content_types_back(apps, schema_editor):
    _move_content_types(apps, "indicators", "observatory")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('observatory', '0004_stale_sources'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('city', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns the models changes.
            state_operations=[
                    migrations.CreateModel(
                        name='Alert',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('slot', models.CharField(max_length=32)),
                            ('metric', models.CharField(max_length=64)),
                            ('window_start', models.DateField(help_text='First night of the current 28-night window.')),
                            ('window_end', models.DateField(help_text='Last night of the current 28-night window.')),
                            ('method_version', models.CharField(max_length=16)),
                            ('baseline', models.FloatField()),
                            ('current', models.FloatField()),
                            ('baseline_n', models.PositiveIntegerField()),
                            ('current_n', models.PositiveIntegerField()),
                            ('statistic', models.FloatField()),
                            ('p_value', models.FloatField()),
                            ('q_value', models.FloatField()),
                            ('created_at', models.DateTimeField()),
                            ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                            ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='acknowledged_alerts', to=settings.AUTH_USER_MODEL)),
                            ('zone', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='city.zone')),
                        ],
                        options={
                            'db_table': 'observatory_alert',
                            'ordering': ['-window_end', 'p_value'],
                            'constraints': [models.UniqueConstraint(fields=('zone', 'slot', 'metric', 'window_end', 'method_version'), name='alert_unique_key')],
                        },
                    ),
                    migrations.CreateModel(
                        name='HotSpot',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('slot', models.CharField(max_length=32)),
                            ('period_kind', models.CharField(choices=[('night', 'Night'), ('week', 'ISO week'), ('month', 'Month'), ('rolling28', 'Rolling 28 nights')], max_length=16)),
                            ('period_start', models.DateField()),
                            ('method_version', models.CharField(max_length=16)),
                            ('value', models.FloatField(help_text="The zone's Perceived Safety Index the statistics were computed on.")),
                            ('gi_z', models.FloatField(null=True)),
                            ('gi_p', models.FloatField(null=True)),
                            ('gi_q', models.FloatField(null=True)),
                            ('moran_i', models.FloatField(null=True)),
                            ('moran_p', models.FloatField(null=True)),
                            ('moran_q', models.FloatField(null=True)),
                            ('moran_quadrant', models.CharField(blank=True, help_text='HH, LH, LL or HL', max_length=2)),
                            ('cluster', models.CharField(choices=[('unsafe', 'Cluster of low safety (cold spot of the index)'), ('safe', 'Cluster of high safety (hot spot of the index)'), ('none', 'Not significant')], default='none', max_length=8)),
                            ('neighbours', models.PositiveIntegerField(default=0)),
                            ('computed_at', models.DateTimeField()),
                            ('zone', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hotspots', to='city.zone')),
                        ],
                        options={
                            'db_table': 'observatory_hotspot',
                            'indexes': [models.Index(fields=['period_kind', 'slot', 'period_start'], name='observatory_period__da0022_idx')],
                            'constraints': [models.UniqueConstraint(fields=('zone', 'slot', 'period_kind', 'period_start', 'method_version'), name='hotspot_unique_key')],
                        },
                    ),
                    migrations.CreateModel(
                        name='Indicator',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('period_kind', models.CharField(choices=[('night', 'Night'), ('week', 'ISO week'), ('month', 'Month'), ('rolling28', 'Rolling 28 nights')], max_length=16)),
                            ('period_start', models.DateField()),
                            ('slot', models.CharField(max_length=32)),
                            ('metric', models.CharField(max_length=64)),
                            ('method_version', models.CharField(max_length=16)),
                            ('value', models.FloatField(null=True)),
                            ('numerator', models.FloatField(help_text='For shares: how many of n (kept so periods can be pooled).', null=True)),
                            ('n', models.PositiveIntegerField(default=0)),
                            ('lower', models.FloatField(null=True)),
                            ('upper', models.FloatField(null=True)),
                            ('raw_value', models.FloatField(help_text='For smoothed rates: the raw (unsmoothed) rate.', null=True)),
                            ('denominator', models.FloatField(help_text='For rates: residents / 10,000, or km² (see unit).', null=True)),
                            ('unit', models.CharField(blank=True, default='', max_length=32)),
                            ('coverage', models.FloatField(help_text='Composite: share of the weights present; sensors: share of expected readings present.', null=True)),
                            ('grade', models.CharField(blank=True, default='', help_text='Composite: confidence grade A-D.', max_length=1)),
                            ('computed_at', models.DateTimeField()),
                            ('zone', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='indicators', to='city.zone')),
                        ],
                        options={
                            'db_table': 'observatory_indicator',
                            'indexes': [models.Index(fields=['metric', 'period_kind', 'slot', 'period_start'], name='observatory_metric_21c64f_idx')],
                            'constraints': [models.UniqueConstraint(fields=('zone', 'period_kind', 'period_start', 'slot', 'metric', 'method_version'), name='indicator_unique_key')],
                        },
                    ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, rename_content_types_back),
    ]

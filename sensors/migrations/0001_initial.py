"""Sensor kinds, sensors, and the monthly-partitioned readings table.

Django cannot declare a partitioned table, so ``Reading`` is created with SeparateDatabaseAndState:
the state is the model as Django sees it, the database gets the RunSQL below. The foreign keys are
the database's (ON DELETE CASCADE to the sensor, SET NULL to the zone). A default partition catches
anything that arrives before its month's partition exists (see sensors/partitions.py).
"""

import django.contrib.gis.db.models.fields
import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models

CREATE_READINGS = """
CREATE TABLE sensors_reading (
    sensor_id bigint NOT NULL REFERENCES sensors_sensor (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    observed_at timestamptz NOT NULL,
    value double precision NOT NULL,
    zone_id bigint NULL REFERENCES observatory_zone (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    night date NOT NULL,
    slot varchar(32) NOT NULL,
    quality varchar(16) NOT NULL DEFAULT 'ok',
    received_at timestamptz NOT NULL DEFAULT now(),
    -- The natural key; it includes the partition key, as PostgreSQL requires of a partitioned table.
    CONSTRAINT sensors_reading_pkey PRIMARY KEY (sensor_id, observed_at)
) PARTITION BY RANGE (observed_at);
-- Readings arrive in time order, so a BRIN index on time is tiny and prunes blocks as well as a
-- B-tree would for range scans; partition pruning does the rest.
CREATE INDEX sensors_reading_observed_brin ON sensors_reading USING brin (observed_at) WITH (pages_per_range = 32);
-- Recomputing a (zone, night) and the per-zone summaries read by zone and night (0004 makes it a BRIN on night).
CREATE INDEX sensors_reading_zone_night ON sensors_reading (zone_id, night);
CREATE TABLE sensors_reading_default PARTITION OF sensors_reading DEFAULT;
"""

DROP_READINGS = "DROP TABLE IF EXISTS sensors_reading CASCADE;"


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("observatory", "0002_staff_groups"),
    ]

    operations = [
        migrations.CreateModel(
            name="SensorKind",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                ("name_it", models.CharField(max_length=120, verbose_name="name (Italian)")),
                ("name_en", models.CharField(max_length=120, verbose_name="name (English)")),
                ("observed_property", models.CharField(help_text="Name in the FIWARE / SensorThings models, e.g. LAeq, peopleCount, illuminance.", max_length=80, verbose_name="observed property")),
                ("unit", models.CharField(help_text="Unit of measurement, e.g. lx, dB(A), people.", max_length=40, verbose_name="unit")),
                ("valid_min", models.FloatField(verbose_name="lowest valid value")),
                ("valid_max", models.FloatField(verbose_name="highest valid value")),
                ("expected_interval_seconds", models.PositiveIntegerField(default=900, help_text="How often a working sensor sends a reading.", verbose_name="expected interval (seconds)")),
                ("indicator_metric", models.CharField(choices=[("illuminance", "Illuminance (lighting)"), ("footfall", "Footfall (people around)"), ("noise", "Noise level"), ("none", "Not used by indicators")], default="none", max_length=20, verbose_name="feeds the indicator")),
            ],
            options={
                "verbose_name": "sensor kind",
                "verbose_name_plural": "sensor kinds",
                "ordering": ["code"],
                "constraints": [models.CheckConstraint(condition=models.Q(("valid_min__lte", models.F("valid_max"))), name="kind_valid_range"), models.CheckConstraint(condition=models.Q(("expected_interval_seconds__gt", 0)), name="kind_interval_positive")],
            },
        ),
        migrations.CreateModel(
            name="Sensor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("external_id", models.CharField(help_text="The vendor's or the city's id of the device.", max_length=100, unique=True, verbose_name="external id")),
                ("name", models.CharField(blank=True, max_length=200, verbose_name="name")),
                ("kind", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="sensors", to="sensors.sensorkind", verbose_name="kind")),
                ("location", django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name="location")),
                ("zone", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="sensors", to="observatory.zone", verbose_name="zone")),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                ("installed_on", models.DateField(default=django.utils.timezone.localdate, verbose_name="installed on")),
                ("removed_on", models.DateField(blank=True, null=True, verbose_name="removed on")),
                ("last_seen_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last reading at")),
                ("silent", models.BooleanField(default=False, editable=False, help_text="No reading for longer than a few expected intervals during night hours.", verbose_name="silent")),
                ("silent_since", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="silent since")),
                ("token_hash", models.CharField(blank=True, db_index=True, editable=False, max_length=64)),
                ("token_created_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="token created at")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "sensor",
                "verbose_name_plural": "sensors",
                "ordering": ["external_id"],
            },
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Reading",
                    fields=[
                        ("pk", models.CompositePrimaryKey("sensor", "observed_at", blank=True, editable=False, primary_key=True, serialize=False)),
                        ("sensor", models.ForeignKey(on_delete=django.db.models.deletion.DO_NOTHING, related_name="readings", to="sensors.sensor")),
                        ("observed_at", models.DateTimeField()),
                        ("value", models.FloatField()),
                        ("zone", models.ForeignKey(null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="observatory.zone")),
                        ("night", models.DateField()),
                        ("slot", models.CharField(max_length=32)),
                        ("quality", models.CharField(choices=[("ok", "Good"), ("suspect", "Suspect")], db_default="ok", max_length=16)),
                        ("received_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                    ],
                    options={
                        "verbose_name": "reading",
                        "verbose_name_plural": "readings",
                    },
                ),
            ],
            database_operations=[migrations.RunSQL(CREATE_READINGS, DROP_READINGS)],
        ),
    ]

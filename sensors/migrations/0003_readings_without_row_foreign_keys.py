"""Readings lose their row-by-row foreign-key checks; a statement-level trigger keeps deletes tidy.

Measured: the two foreign keys cost more than the whole INSERT (one RI lookup per row, queued until
commit), capping COPY imports near 15,000 readings/s. Every writer stamps sensor and zone from the
sensors table itself, so the checks never found anything. Deleting a sensor still removes its
readings, now with one set-based DELETE per statement. A deleted zone leaves its id on old readings
until they are re-stamped (zone ids are never reused), and every read joins the zone table.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
ALTER TABLE sensors_reading DROP CONSTRAINT IF EXISTS sensors_reading_sensor_id_fkey;
ALTER TABLE sensors_reading DROP CONSTRAINT IF EXISTS sensors_reading_zone_id_fkey;
CREATE FUNCTION sensors_delete_readings_of_deleted_sensors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sensors_reading r USING deleted_sensors d WHERE r.sensor_id = d.id;
    RETURN NULL;
END $$;
CREATE TRIGGER sensors_sensor_delete_readings AFTER DELETE ON sensors_sensor
    REFERENCING OLD TABLE AS deleted_sensors FOR EACH STATEMENT
    EXECUTE FUNCTION sensors_delete_readings_of_deleted_sensors();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS sensors_sensor_delete_readings ON sensors_sensor;
DROP FUNCTION IF EXISTS sensors_delete_readings_of_deleted_sensors();
ALTER TABLE sensors_reading ADD CONSTRAINT sensors_reading_sensor_id_fkey FOREIGN KEY (sensor_id)
    REFERENCES sensors_sensor (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE sensors_reading ADD CONSTRAINT sensors_reading_zone_id_fkey FOREIGN KEY (zone_id)
    REFERENCES observatory_zone (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;
"""


class Migration(migrations.Migration):
    dependencies = [("sensors", "0002_seed_kinds")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reading",
                    name="sensor",
                    field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="readings", to="sensors.sensor"),
                ),
                migrations.AlterField(
                    model_name="reading",
                    name="zone",
                    field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="observatory.zone"),
                ),
            ],
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
        ),
    ]

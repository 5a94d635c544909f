"""The three kinds of sensor the observatory starts with; administrators add more in the admin."""

from django.db import migrations

KINDS = [
    # code, Italian, English, observed property (FIWARE / SensorThings), unit, min, max, interval s, metric
    ("illuminance", "Illuminamento", "Illuminance", "illuminance", "lx", 0.0, 200_000.0, 900, "illuminance"),
    ("footfall", "Passaggi pedonali", "Footfall", "peopleCount", "persone/intervallo", 0.0, 100_000.0, 900, "footfall"),
    ("noise", "Rumore (LAeq)", "Noise (LAeq)", "LAeq", "dB(A)", 0.0, 140.0, 900, "noise"),
]


def add_kinds(apps, schema_editor):
    SensorKind = apps.get_model("sensors", "SensorKind")
    for code, name_it, name_en, prop, unit, low, high, interval, metric in KINDS:
        SensorKind.objects.get_or_create(
            code=code,
            defaults={
                "name_it": name_it,
                "name_en": name_en,
                "observed_property": prop,
                "unit": unit,
                "valid_min": low,
                "valid_max": high,
                "expected_interval_seconds": interval,
                "indicator_metric": metric,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sensors", "0001_initial")]

    operations = [migrations.RunPython(add_kinds, migrations.RunPython.noop)]

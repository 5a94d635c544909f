"""The starting categories, in Italian and English; editable afterwards in the admin."""

from django.db import migrations

CATEGORIES = [
    # (service code, group, Italian, English)
    ("broken-street-light", "lighting", "Lampione spento o guasto", "Street light out or broken"),
    ("dark-area", "lighting", "Zona buia o poco visibile", "Dark or poorly visible area"),
    ("abandoned-place", "degraded", "Luogo abbandonato o degradato", "Abandoned or degraded place"),
    ("vandalism", "degraded", "Vandalismo o rifiuti abbandonati", "Vandalism or dumped rubbish"),
    ("harassment", "behaviour", "Molestie", "Harassment"),
    ("aggression", "behaviour", "Aggressione o minacce", "Aggression or threats"),
    ("drug-dealing", "behaviour", "Spaccio", "Drug dealing"),
    ("groups-gathering", "behaviour", "Assembramenti che intimoriscono", "Intimidating groups gathering"),
    ("no-night-transport", "mobility", "Mancano mezzi pubblici di notte", "No public transport at night"),
    ("unsafe-stop", "mobility", "Fermata poco sicura", "Unsafe stop"),
    ("unsafe-crossing", "mobility", "Attraversamento pericoloso", "Unsafe crossing"),
    ("noise-nightlife", "nightlife", "Rumore e movida", "Noise and nightlife"),
    ("other", "other", "Altro", "Other"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("reports", "Category")
    for order, (code, group, name_it, name_en) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            code=code, defaults={"group": group, "name_it": name_it, "name_en": name_en, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

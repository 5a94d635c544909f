"""The seeded categories' extra questions in Italian and English (description_it / description_en, name_it / name_en).

Only questions still as 0005 seeded them are touched: a city that edited its questions in the admin keeps them.
"""

from django.db import migrations

TEXTS = {
    # (category, question code): (Italian, English, help in Italian, help in English, {value key: (it, en)})
    ("broken-street-light", "pole_number"): (
        "Numero del palo",
        "Pole number",
        "Il numero dipinto sul palo, se si vede",
        "The number painted on the pole, if visible",
        {},
    ),
    ("broken-street-light", "lights_out"): (
        "Quante luci sono spente?",
        "How many lights are out?",
        "",
        "",
        {"one": ("Una", "One"), "several": ("Diverse di fila", "Several in a row")},
    ),
    ("unsafe-stop", "stop_name"): ("Nome o numero della fermata", "Name or number of the stop", "", "", {}),
}


def seed(apps, schema_editor):
    Category = apps.get_model("reports", "Category")
    for category in Category.objects.filter(code__in={code for code, _question in TEXTS}):
        changed = False
        for definition in category.attributes or []:
            texts = TEXTS.get((category.code, definition.get("code")))
            if texts is None or "description_it" in definition:
                continue
            italian, english, help_it, help_en, values = texts
            definition.update(description_it=italian, description_en=english)
            if help_it:
                definition.update(datatype_description_it=help_it, datatype_description_en=help_en)
            for value in definition.get("values") or []:
                if value.get("key") in values:
                    value.update(name_it=values[value["key"]][0], name_en=values[value["key"]][1])
            changed = True
        if changed:
            category.save(update_fields=["attributes"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_join_and_extra_questions")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""Default departments, required fields and Open311 extra questions for the seeded categories."""

from django.db import migrations

DEFAULTS = {
    # code: (department, requires_photo, requires_description, keywords)
    "broken-street-light": ("lighting", False, False, "lampione,luce,illuminazione,street light"),
    "dark-area": ("lighting", False, False, "buio,luce,dark"),
    "abandoned-place": ("waste_public_space", False, False, "abbandono,degrado,abandoned"),
    "vandalism": ("waste_public_space", False, False, "vandalismo,rifiuti,graffiti"),
    "harassment": ("municipal_police", False, False, "molestie,harassment"),
    "aggression": ("municipal_police", False, False, "aggressione,minacce,aggression"),
    "drug-dealing": ("municipal_police", False, False, "spaccio,droga,drugs"),
    "groups-gathering": ("social_services", False, False, "gruppi,assembramenti,groups"),
    "no-night-transport": ("transport", False, False, "bus,tram,notte,night transport"),
    "unsafe-stop": ("transport", False, False, "fermata,stop"),
    "unsafe-crossing": ("transport", False, False, "attraversamento,strisce,crossing"),
    "noise-nightlife": ("municipal_police", False, False, "rumore,movida,noise"),
    "other": ("", False, True, ""),
}

ATTRIBUTES = {
    "broken-street-light": [
        {
            "variable": True,
            "code": "pole_number",
            "datatype": "string",
            "required": False,
            "datatype_description": "The number painted on the pole, if visible",
            "order": 1,
            "description": "Pole number",
            "values": [],
        },
        {
            "variable": True,
            "code": "lights_out",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "",
            "order": 2,
            "description": "How many lights are out?",
            "values": [{"key": "one", "name": "One"}, {"key": "several", "name": "Several in a row"}],
        },
    ],
    "unsafe-stop": [
        {
            "variable": True,
            "code": "stop_name",
            "datatype": "string",
            "required": False,
            "datatype_description": "",
            "order": 1,
            "description": "Name or number of the stop",
            "values": [],
        }
    ],
}


def seed(apps, schema_editor):
    Category = apps.get_model("reports", "Category")
    for code, (department, photo, description, keywords) in DEFAULTS.items():
        # Only a department that is set: since reports/0011 the column is a foreign key (NULL, not "", for none).
        if department:
            Category.objects.filter(code=code).update(default_department=department)
        Category.objects.filter(code=code).update(
            requires_photo=photo,
            requires_description=description,
            keywords=keywords,
            attributes=ATTRIBUTES.get(code, []),
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_moderation_and_contact")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""The street register (offline address search) and the zone's district.

pg_trgm and unaccent are trusted extensions (PostgreSQL 13+): the database owner may create them.
``city_search_text`` wraps unaccent() in an IMMUTABLE function (unaccent itself is only STABLE, because
its dictionary could change) so that a trigram index can be built on it.
"""

import django.contrib.gis.db.models.fields
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

SEARCH_FUNCTION = """
CREATE OR REPLACE FUNCTION city_search_text(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("city", "0002_outbound_email"),
    ]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunSQL(SEARCH_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS city_search_text(text)"),
        migrations.AddField(
            model_name="zone",
            name="district",
            field=models.CharField(blank=True, db_default="", default="", max_length=200, verbose_name="district"),
        ),
        migrations.CreateModel(
            name="Street",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "geom",
                    django.contrib.gis.db.models.fields.MultiLineStringField(srid=4326, verbose_name="geometry"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"verbose_name": "street", "verbose_name_plural": "streets", "ordering": ["name", "id"]},
        ),
        migrations.RunSQL(
            "CREATE INDEX city_street_search_trgm ON city_street USING gin (city_search_text(name) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS city_street_search_trgm",
        ),
    ]

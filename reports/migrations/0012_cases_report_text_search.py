"""The moderation queue's text search: a trigram GIN index on the citizen's description and address, accents and
case dropped (city_search_text, city/0003), the expression reports.selectors.REPORT_SEARCH_SQL filters on."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("city", "0003_street_register"),
        ("reports", "0011_departments_as_rows"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX reports_report_search_trgm ON reports_report "
            "USING gin (city_search_text(description || ' ' || address) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS reports_report_search_trgm",
        ),
    ]

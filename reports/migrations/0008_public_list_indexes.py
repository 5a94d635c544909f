"""Partial indexes for the public lists (REST API newest first) and Open311 GET requests.

Built CONCURRENTLY so that a city with millions of reports keeps taking them while the indexes build.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("reports", "0007_bilingual_questions")]

    operations = [
        AddIndexConcurrently(
            model_name="report",
            index=models.Index(
                condition=models.Q(("is_published", True), models.Q(("status__in", ["hidden", "spam"]), _negated=True)),
                fields=["-occurred_at", "-id"],
                name="report_public_list_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="report",
            index=models.Index(
                condition=models.Q(("status", "spam"), _negated=True),
                fields=["-created_at", "-id"],
                name="report_open311_list_idx",
            ),
        ),
    ]

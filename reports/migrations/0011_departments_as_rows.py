"""Departments become rows of city.Department: the report's and the category's department columns keep their
names and their codes and become foreign keys to Department.code; an empty code becomes NULL. A code no row
has (none is expected: the column only ever took the five choices) gets a row of its own, so no report
loses its assignment."""

import django.db.models.deletion
from django.db import migrations, models


def blank_to_null_and_rows_for_every_code(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    Category = apps.get_model("reports", "Category")
    Department = apps.get_model("city", "Department")
    Report.objects.filter(department="").update(department=None)
    Category.objects.filter(default_department="").update(default_department=None)
    codes = set(Report.objects.exclude(department=None).values_list("department", flat=True).distinct())
    codes |= set(Category.objects.exclude(default_department=None).values_list("default_department", flat=True))
    for code in codes:
        Department.objects.get_or_create(code=code, defaults={"name_it": code, "name_en": code})


def null_to_blank(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    Category = apps.get_model("reports", "Category")
    Report.objects.filter(department=None).update(department="")
    Category.objects.filter(default_department=None).update(default_department="")


class Migration(migrations.Migration):
    dependencies = [
        ("city", "0003_departments"),
        ("reports", "0010_zone_moves_to_city"),
    ]

    operations = [
        migrations.AlterField(
            model_name="report",
            name="department",
            field=models.CharField(blank=True, max_length=32, null=True, verbose_name="assigned department"),
        ),
        migrations.AlterField(
            model_name="category",
            name="default_department",
            field=models.CharField(blank=True, max_length=32, null=True, verbose_name="default department"),
        ),
        migrations.RunPython(blank_to_null_and_rows_for_every_code, null_to_blank),
        migrations.AlterField(
            model_name="report",
            name="department",
            field=models.ForeignKey(
                blank=True,
                db_column="department",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="city.department",
                to_field="code",
                verbose_name="assigned department",
            ),
        ),
        migrations.AlterField(
            model_name="category",
            name="default_department",
            field=models.ForeignKey(
                blank=True,
                db_column="default_department",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="city.department",
                to_field="code",
                verbose_name="default department",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="language",
            field=models.CharField(blank=True, db_default="", max_length=8, verbose_name="language"),
        ),
    ]

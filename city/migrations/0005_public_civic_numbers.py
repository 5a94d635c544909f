"""The civic-number register (house numbers with their point): "Via Roma 12" finds its door."""


import django.contrib.gis.db.models.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('city', '0004_merge_0003_departments_0003_street_register'),
    ]

    operations = [
        migrations.CreateModel(
            name='CivicNumber',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('street_name', models.CharField(max_length=200, verbose_name='street')),
                ('number', models.PositiveIntegerField(verbose_name='number')),
                ('suffix', models.CharField(blank=True, help_text='After the number: "A", "bis", or "2" for 12/2.', max_length=10, verbose_name='suffix')),
                ('point', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='place')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'civic number',
                'verbose_name_plural': 'civic numbers',
                'ordering': ['street_name', 'number', 'suffix', 'id'],
            },
        ),
        migrations.RunSQL(
            # "Via Roma 12" is found by the street's name as typed (accents and case ignored) and the number.
            "CREATE INDEX city_civicnumber_street_number ON city_civicnumber (city_search_text(street_name), number)",
            reverse_sql="DROP INDEX IF EXISTS city_civicnumber_street_number",
        ),
    ]

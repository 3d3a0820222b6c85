from django.db import migrations

from cases.crimes.reference import load_reference, reference_upsert


def load_elements_of_crimes(apps, schema_editor):
    # One field mapping for this migration and "manage.py load_crimes": the helper takes the
    # historical models and sets only the fields they have.
    reference_upsert(
        load_reference(),
        crime_model=apps.get_model("cases", "Crime"),
        mode_model=apps.get_model("cases", "ModeOfLiability"),
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_case_search_index")]

    # Reverse is a no-op on purpose: cases may refer to the crimes by then, and the rows are
    # reference data, not something a user made; re-applying the migration updates them.
    operations = [migrations.RunPython(load_elements_of_crimes, migrations.RunPython.noop)]

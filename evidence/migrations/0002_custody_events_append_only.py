from django.db import migrations

from custos import append_only

# Frozen here: the rule as it was installed. No column of a custody event may ever change.
GUARD = append_only.Guard(
    table="evidence_custodyevent",
    immutable=(
        "id",
        "item_id",
        "seq",
        "kind",
        "actor_id",
        "recorded_at",
        "occurred_at",
        "from_user_id",
        "from_external",
        "to_user_id",
        "to_external",
        "location",
        "purpose",
        "notes",
        "prev_hash",
        "hash",
    ),
)


def install_guard(apps, schema_editor):
    append_only.install(schema_editor.connection, GUARD)


def remove_guard(apps, schema_editor):
    append_only.remove(schema_editor.connection, GUARD)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [migrations.RunPython(install_guard, remove_guard)]

from django.db import migrations

from custos import append_only

# Frozen here, not imported from the model: this is the rule as it was installed.
GUARD = append_only.Guard(
    table="audit_auditevent",
    immutable=(
        "id",
        "created_at",
        "actor_id",
        "actor_username",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "case_id",
        "ip",
        "user_agent",
        "details",
    ),
    seal=("chain_seq", "prev_hash", "hash"),
    seal_marker="chain_seq",
    seal_check="length(NEW.hash) = 64 AND length(NEW.prev_hash) = 64",
)


def install_guard(apps, schema_editor):
    append_only.install(schema_editor.connection, GUARD)


def remove_guard(apps, schema_editor):
    append_only.remove(schema_editor.connection, GUARD)


def create_chain_head(apps, schema_editor):
    AuditChain = apps.get_model("audit", "AuditChain")
    AuditChain.objects.get_or_create(pk=1)


def delete_chain_head(apps, schema_editor):
    apps.get_model("audit", "AuditChain").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(install_guard, remove_guard),
        migrations.RunPython(create_chain_head, delete_chain_head),
    ]

from django.db import migrations

# PostgreSQL only: full-text search over cases reads this index (the query uses the same
# expression: SearchVector("search_document", config="simple")). SQLite falls back to a
# plain substring match, without an index.
CREATE = """
CREATE INDEX IF NOT EXISTS case_search_document_fts ON cases_case
USING gin (to_tsvector('simple'::regconfig, COALESCE(search_document, '')));
"""
DROP = "DROP INDEX IF EXISTS case_search_document_fts;"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]

from django.db import migrations

# PostgreSQL only. Full-text search used a GIN index on an expression: every hit of a phrase
# query (a pseudonym such as "W-0001" parses as 'w' <-> '-0001') and every lossy page had to
# re-compute to_tsvector() of the whole search document to re-check it, about 2 seconds for
# a query matching 40,000 cases. A stored, generated column is computed once per write and
# re-checked by reading it; the GIN index moves onto it (bench/latency.py, docs/benchmarks.md).
# The model does not declare the column: the database keeps it current, and only
# cases.selectors.case_search reads it. SQLite keeps its substring match.
FORWARD = [
    """
    ALTER TABLE cases_case ADD COLUMN IF NOT EXISTS search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(search_document, ''))) STORED;
    """,
    "CREATE INDEX IF NOT EXISTS case_search_vector_gin ON cases_case USING gin (search_vector);",
    "DROP INDEX IF EXISTS case_search_document_fts;",
]
BACKWARD = [
    """
    CREATE INDEX IF NOT EXISTS case_search_document_fts ON cases_case
    USING gin (to_tsvector('simple'::regconfig, COALESCE(search_document, '')));
    """,
    "DROP INDEX IF EXISTS case_search_vector_gin;",
    "ALTER TABLE cases_case DROP COLUMN IF EXISTS search_vector;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_case_visible_covering_index")]

    operations = [migrations.RunPython(forward, backward)]

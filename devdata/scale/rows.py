"""Writing rows: each model's columns, the database sink (``COPY`` on PostgreSQL,
``executemany`` elsewhere) and one batch of cases' rows held in memory until written."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, models

from cases.models import (
    Case,
    CaseMember,
    CasePerson,
    CasePersonUserObjectPermission,
    CaseUserObjectPermission,
    Incident,
    Person,
    ProtectiveMeasure,
    StatusChange,
)
from devdata.scale.audit import AuditRow


class Table:
    """The columns of one model's table, with defaults for the columns a row does not name."""

    def __init__(self, model: type[models.Model], now: datetime) -> None:
        self.model = model
        self.name = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields]
        self.columns = [str(f.column) for f in fields]
        self.defaults: list[Any] = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default: Any = now
            else:
                default = f.get_default()
            if isinstance(default, dict | list):
                default = json.dumps(default)
            self.defaults.append(default)
        self._attnames = [f.attname for f in fields]

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(map(values.get, self._attnames, self.defaults))


class Sink:
    """Sends rows to the database: ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}

    def reserve_ids(self, model: type[models.Model], n: int) -> int:
        """The first of ``n`` consecutive ids that no other row will take."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                (sequence,) = cursor.fetchone()
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
                (top,) = cursor.fetchone()
                cursor.execute("SELECT nextval(%s)", [sequence])
                (start,) = cursor.fetchone()
                start = max(start, top + 1)
                cursor.execute("SELECT setval(%s, %s)", [sequence, start + n])
                return start
            # SQLite: rows are written right after their ids are reserved, by one writer.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            (top,) = cursor.fetchone()
            return top + 1

    def write(self, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        columns = ", ".join(table.columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(
                    f"INSERT INTO {table.name} ({columns}) VALUES ({marks})",  # noqa: S608
                    [tuple(_sqlite_value(v) for v in row) for row in rows],
                )


def _sqlite_value(value: Any) -> Any:
    # Django stores datetimes on SQLite as naive UTC text.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Batch:
    """The rows of one batch of cases, built in memory and then written table by table."""

    def __init__(self, sink: Sink, tables: dict[Any, Table], rng: random.Random) -> None:
        self.sink, self.t, self.rng = sink, tables, rng
        self.now = datetime.now(UTC)
        self.rows: dict[Any, list[tuple[Any, ...]]] = {m: [] for m in tables}
        self.audit: list[AuditRow] = []
        self.long_chain_items: dict[str, int] = {}
        self.pending_cases: list[dict[str, Any]] = []

    def add(self, model: Any, values: dict[str, Any]) -> None:
        self.rows[model].append(self.t[model].row(values))

    def audit_row(self, **values: Any) -> None:
        self.audit.append(AuditRow(pk=0, **values))

    def flush_cases(self) -> None:
        """Gives the incidents and persons their real ids, then writes the cases' tables."""
        sink = self.sink
        # Local ids (1..n) of incidents, persons and case persons become reserved ids.
        remap: dict[Any, int] = {}
        for reserved in (Incident, Person, CasePerson):
            remap[reserved] = sink.reserve_ids(reserved, len(self.rows[reserved])) - 1
        idx = {m: self.t[m].columns.index for m in self.t}

        def shift(model: Any, columns: dict[str, Any]) -> None:
            table_rows = self.rows[model]
            for n, row in enumerate(table_rows):
                values = list(row)
                for column, target in columns.items():
                    i = idx[model](column)
                    if values[i] is not None:
                        values[i] += remap[target]
                table_rows[n] = tuple(values)

        shift(Incident, {"id": Incident})
        shift(Incident.crimes.through, {"incident_id": Incident})
        shift(Person, {"id": Person})
        shift(CasePerson, {"id": CasePerson, "person_id": Person})
        shift(ProtectiveMeasure, {"case_person_id": CasePerson})
        shift(CasePersonUserObjectPermission, {"content_object_id": CasePerson})
        for case in self.pending_cases:
            case["persons"] = [p + remap[CasePerson] for p in case["persons"]]

        # Rows without a reserved id take theirs from the sequence in COPY.
        for model in (
            Case,
            Case.crimes.through,
            Incident,
            Incident.crimes.through,
            Person,
            CasePerson,
            ProtectiveMeasure,
            CasePersonUserObjectPermission,
            CaseMember,
            CaseUserObjectPermission,
            StatusChange,
        ):
            self.write_table(model)

    def write_table(self, model: Any) -> None:
        """Writes the model's rows held so far (reserving ids for rows that have none)."""
        table = self.t[model]
        rows = self.rows[model]
        if rows and rows[0][0] is None:  # no id given: reserve a range for them
            start = self.sink.reserve_ids(model, len(rows))
            rows = [(start + n, *row[1:]) for n, row in enumerate(rows)]
        self.sink.write(table, rows)
        self.rows[model] = []

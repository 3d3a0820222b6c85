"""The crimes of Rome Statute arts. 6, 7 and 8 and the modes of liability: loading the bundled
reference data (``cases/data/elements_of_crimes.json``).

The legal text is never typed or edited here: it is copied field by field from the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import models, transaction

from cases.models import Crime, ModeOfLiability

REFERENCE_FILE = Path(__file__).resolve().parent.parent / "data" / "elements_of_crimes.json"


def load_reference() -> dict[str, Any]:
    """The bundled Elements of Crimes, parsed (independent of the working directory)."""
    with REFERENCE_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def _crime_fields(position: int, crime: dict[str, Any]) -> dict[str, Any]:
    return {
        "article": crime["article"],
        "category": crime["category"],
        "title": crime["title"],
        # 8(2)(b)(xx) has no adopted elements: it is kept, with an empty list.
        "elements": list(crime["elements"]),
        "statute_text": crime.get("statute_text") or "",
        "footnotes": list(crime.get("footnotes_2011_edition") or []),
        "verified_from_source": bool(crime["verified_from_source"]),
        # The reconstructed amendments have no source (null in the file).
        "source_ref": crime.get("source_ref") or "",
        "position": position,
    }


def _mode_fields(position: int, mode: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": mode["kind"],
        "title": mode["title"],
        "summary": mode.get("summary") or "",
        "text": mode.get("text") or "",
        # The file calls it "source" for the modes, "source_ref" for the crimes.
        "source_ref": mode.get("source_ref") or mode.get("source") or "",
        "position": position,
    }


def _upsert(
    model: type[models.Model], key: str, rows: list[tuple[str, dict[str, Any]]]
) -> tuple[int, int]:
    # Only the fields the given model has: a historical model (in a data migration) may
    # predate a field that the mapping sets today, and a later migration adds it.
    names = {f.name for f in model._meta.get_fields()}
    existing = {getattr(obj, key): obj for obj in model._default_manager.all()}
    to_create, to_update, changed_fields = [], [], set()
    for value, fields in rows:
        fields = {name: v for name, v in fields.items() if name in names}
        obj = existing.get(value)
        if obj is None:
            to_create.append(model(**{key: value}, **fields))
            continue
        changed = {name for name, v in fields.items() if getattr(obj, name) != v}
        if changed:
            for name in changed:
                setattr(obj, name, fields[name])
            to_update.append(obj)
            changed_fields |= changed
    model._default_manager.bulk_create(to_create)
    if to_update:
        model._default_manager.bulk_update(to_update, sorted(changed_fields))
    return len(to_create), len(to_update)


def reference_upsert(
    data: dict[str, Any],
    *,
    crime_model: type[models.Model],
    mode_model: type[models.Model],
) -> tuple[int, int]:
    """Creates or updates every crime (keyed on ``code``) and mode of liability (keyed on
    ``article``) of ``data``, with ``position`` their index in the file.

    Takes the model classes so that the data migration can pass its historical models and
    there is one field mapping. Rows that are unchanged are not written; rows absent from
    ``data`` are kept (cases may refer to them). Returns (created, updated), both tables.
    """
    crimes = [(c["code"], _crime_fields(i, c)) for i, c in enumerate(data["crimes"])]
    modes = [(m["article"], _mode_fields(i, m)) for i, m in enumerate(data["modes_of_liability"])]
    with transaction.atomic():
        crimes_created, crimes_updated = _upsert(crime_model, "code", crimes)
        modes_created, modes_updated = _upsert(mode_model, "article", modes)
    return crimes_created + modes_created, crimes_updated + modes_updated


def crimes_load(data: dict[str, Any]) -> tuple[int, int]:
    """Loads ``data`` (as from :func:`load_reference`) into the crimes and modes of
    liability: idempotent, re-running it updates changed rows and never duplicates.
    Returns (created, updated)."""
    return reference_upsert(data, crime_model=Crime, mode_model=ModeOfLiability)

"""JSON Schema export of the envelope and every event (`labbook schemas export DIR`)."""
from __future__ import annotations

import json
from pathlib import Path

from . import events  # noqa: F401  (registers every event type)
from .envelope import EVENT_TYPES, Envelope
from .topics import topic_for_event


def event_schemas() -> dict[str, dict]:
    """File name → JSON Schema, one per event type plus the envelope."""
    out = {"Envelope.schema.json": Envelope.model_json_schema()}
    for name, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema()
        schema["x-labbook-topic"] = topic_for_event(name).name
        schema["x-labbook-version"] = model.VERSION
        out[f"{name}.v{model.VERSION}.schema.json"] = schema
    return out


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, schema in event_schemas().items():
        path = directory / filename
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written

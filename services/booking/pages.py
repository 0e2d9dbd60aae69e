"""The staff pages' templates (services/booking/templates/*.html): one Jinja2 environment,
escaping HTML by default, every page extending page.html."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, autoescape=select_autoescape(enabled_extensions=("html",)))


def render(name: str, **values) -> str:
    return environment().get_template(name).render(**values)

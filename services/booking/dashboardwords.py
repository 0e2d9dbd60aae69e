"""The staff pages' language: every word they show (templates/dashboard_words.json, one
table per language, the same keys in each) and which language a browser gets.

The choice is remembered in a cookie the page's script sets when staff switch
(`labbook_lang`, not HttpOnly: it is a preference, not a secret), so the server renders
the sign-in form and the printable report in it too; without one, the browser's own
Accept-Language decides between Russian and English.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from aiohttp import web

WORDS_FILE = Path(__file__).parent / "templates" / "dashboard_words.json"
LANGUAGES = ("en", "ru")
DEFAULT = "en"
LANG_COOKIE = "labbook_lang"


@cache
def all_words() -> dict[str, dict]:
    return json.loads(WORDS_FILE.read_text(encoding="utf-8"))


def words(lang: str) -> dict:
    return all_words()[lang]


def chosen(value: str | None) -> str | None:
    """`value` as one of LANGUAGES ("RU", "ru-RU" and "ru_RU" read as ru), else None."""
    head = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return head if head in LANGUAGES else None


def from_accept_language(header: str) -> str | None:
    """The first of LANGUAGES the browser prefers (by q, then order), if it names one."""
    ranked = []
    for n, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue  # a malformed weight: that entry says nothing
        if (lang := chosen(tag)) is not None and q > 0:
            ranked.append((-q, n, lang))
    return min(ranked)[2] if ranked else None


def language_of(request: web.Request, asked: str | None = None) -> str:
    """`asked` (a ?lang=), else the remembered choice, else the browser's, else English."""
    return (chosen(asked) or chosen(request.cookies.get(LANG_COOKIE))
            or from_accept_language(request.headers.get("Accept-Language", "")) or DEFAULT)

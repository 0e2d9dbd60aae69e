"""lab.toml fragments for tests of the lab agent's config."""
from __future__ import annotations


def capacity(method: str, slots: int, available_from: object, available_to: object) -> str:
    """One [[capacity]] table; the bounds are TOML values as written (2026-12-01, an offset date-time, "a string")."""
    return (f'\n[[capacity]]\nmethod_code = "{method}"\nslots = {slots}\n'
            f"available_from = {available_from}\navailable_to = {available_to}\n")

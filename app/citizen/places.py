"""The report form's place picker: county → township → village, one level at a time.

A city has thousands of villages, so the page carries only the counties (and, when a form comes
back with an error, the branch already chosen); the children of a county or township are loaded
when the citizen picks it (`children`, served as JSON by app/web/public.py). The deepest level
chosen is the case's territory; a choice must lie inside the one above it.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.i18n import N_
from app.organisation.models import Territory

#: The picker's levels, from the top; the form's field of each is named after its level.
LEVELS = ("county", "township", "village")
NOT_INSIDE = N_("this place is not inside the one chosen above; please choose again")
UNKNOWN = N_("choose a place from the list")


@dataclass
class Level:
    """One select of the picker: its options and the code chosen (if any)."""

    name: str
    options: list[tuple[str, str]] = field(default_factory=list)
    chosen: str = ""


def _options(*conditions) -> list[tuple[str, str]]:
    rows = db.session.execute(select(Territory.code, Territory.name).where(*conditions)
                              .order_by(Territory.code))
    return [(code, name) for code, name in rows]


def children(code: str) -> list[tuple[str, str]] | None:
    """(code, name) of the places one picker level below `code`; None if `code` is no picker
    place above the last level (nothing to load)."""
    parent = db.session.execute(select(Territory.id, Territory.level).where(Territory.code == code)).first()
    if parent is None or parent.level not in LEVELS[:-1]:
        return None
    below = LEVELS[LEVELS.index(parent.level) + 1]
    return _options(Territory.parent_id == parent.id, Territory.level == below)


def chosen(values: dict[str, str]) -> tuple[str, str | None]:
    """The deepest place chosen in `values` (level -> code) and a problem (an untranslated msgid)
    if the choices do not nest; ("", None) when nothing is chosen."""
    picked = [(level, values.get(level) or "") for level in LEVELS if values.get(level)]
    if not picked:
        return "", None
    rows = dict(db.session.execute(select(Territory.code, Territory.path)
                                   .where(Territory.code.in_([code for _, code in picked]))).all())
    if any(code not in rows for _, code in picked):
        return picked[-1][1], UNKNOWN
    deepest = picked[-1][1]
    if any(f"/{code}/" not in rows[deepest] for _, code in picked):
        return deepest, NOT_INSIDE
    return deepest, None


def picker(code: str) -> list[Level]:
    """The picker's selects with `code`'s branch chosen: the counties, and below each chosen
    place its children (so a form sent back keeps the choice without loading anything)."""
    path = db.session.scalar(select(Territory.path).where(Territory.code == code)) if code else None
    branch = [part for part in (path or "").strip("/").split("/") if part]
    levels = [Level("county", _options(Territory.level == "county"))]
    for name in LEVELS[1:]:
        above = next((c for c, _ in levels[-1].options if c in branch), "")
        levels[-1].chosen = above
        levels.append(Level(name, (children(above) or []) if above else []))
    levels[-1].chosen = next((c for c, _ in levels[-1].options if c in branch), "")
    return levels

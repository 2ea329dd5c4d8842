"""The categories a citizen picks from on the report form, and a proposal from the text when
they pick none — so a web report routes by category like a hotline call (app/organisation/routing.py).

The proposal is a keyword match a dispatcher can follow: every two-character word of a category's
name (路灯照明 → 路灯, 灯照, 照明) found in the title or description counts one; the category
with most hits wins, and a tie or no hit proposes nothing (the dispatcher classifies it).
"""
from sqlalchemy import select

from app.extensions import db
from app.organisation.models import Category


def choices() -> list[tuple[str, str]]:
    """(code, name) of the categories, by name."""
    return [(code, name) for code, name in db.session.execute(
        select(Category.code, Category.name).order_by(Category.name, Category.code))]


def _words(name: str) -> set[str]:
    letters = "".join(ch for ch in name if "\u4e00" <= ch <= "\u9fff")
    return {letters[i:i + 2] for i in range(len(letters) - 1)}


def guess(text: str, options: list[tuple[str, str]] | None = None) -> str | None:
    """The code of the category whose name's two-character words the text holds most, if one
    stands out."""
    hits = sorted(((sum(word in text for word in _words(name)), code)
                   for code, name in (options if options is not None else choices())), reverse=True)
    if not hits or hits[0][0] == 0 or (len(hits) > 1 and hits[1][0] == hits[0][0]):
        return None
    return hits[0][1]

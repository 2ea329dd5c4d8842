"""Word search over Chinese text that an index can answer: a text's words are stored once, as one
space-separated string, and a query matches when every one of its words is among them.

Words come from rjieba's full mode (`cut_all`): every dictionary word found anywhere in the text,
and every single character. Not the precise or search mode: they cut by context, so 路灯不亮 is
路/灯不亮 there and a search for 路灯 would miss it. Full mode lists every dictionary word of
every stretch, so whenever a query is a part of a text (as ILIKE would find it), each of the
query's words is one of the text's words, and the text is found:

- a two-character query (路灯, 噪音) finds every text it is written in;
- a part of a word finds it too: 灯 finds 路灯 (every character is a word of its own);
- a longer query finds texts holding all of its words, wherever they stand (路灯不亮 needs 路灯
  and 灯不亮);
- letters and digits are whole words: wifi finds "WiFi", not "wifi6"; 12 finds "12 号", not "120";
- case, full-width forms and punctuation do not matter (NFKC, lower case); a query of
  punctuation alone has no words (the caller refuses it).

Stored in a `WORDS` column: on PostgreSQL a tsvector, written from the same string (its input
syntax: whitespace-separated lexemes, each kept as it is, no text-search parser or dictionary in
between; the words are runs of letters and digits, which need no quoting) and read by a GIN
index; the query is a tsquery of the words joined by &, written the same way. Not an expression
index on to_tsvector(text): a filter that the planner runs row by row (the newest-first page
of a common word) would parse every row's text again, ~90 µs a row (bench/README.md). On SQLite
the column is text and each word is looked up in it (a scan: a SQLite installation is small).
Both give the same answers.
"""
import re
import unicodedata

import rjieba
from sqlalchemy import Text, and_, cast, false, func
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR

from app.extensions import db

#: A word longer than this is not a word (PostgreSQL's tsvector drops words over 2047 bytes).
LONGEST = 100
#: The type of a column of words_of strings.
WORDS = Text().with_variant(TSVECTOR(), "postgresql")
_RUNS = re.compile(r"[^\W_]+")  # runs of letters (CJK included) and digits, as str.isalnum


def normal(text: str | None) -> str:
    """A text as words are compared: NFKC (full-width forms are ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _words(text: str | None) -> list[str]:
    """Every word of the full mode, in order, once each, cleaned to runs of letters and digits."""
    found = dict.fromkeys(run for piece in rjieba.cut_all(normal(text))
                          for run in ((piece,) if piece.isalnum() else _RUNS.findall(piece))
                          if len(run) <= LONGEST)
    return list(found)


def words_of(text: str | None) -> str:
    """What to store for a text: its words, space-separated ("" for none)."""
    return " ".join(_words(text))


def query_words(query: str | None) -> list[str]:
    """The words a text must have to match `query`, without those another of them implies: a text
    with 路灯 has 路 and 灯 among its words too, so 路灯不亮 asks for 路灯 and 灯不亮 only (one term
    fewer is one posting list fewer to read). Empty: the query has no word."""
    found = _words(query)
    implied = {part for word in found if len(word) > 1 for part in _words(word) if part != word}
    return [word for word in found if word not in implied]


def matches(column, words: list[str]):
    """SQL: `column` (a WORDS column of words_of strings) holds every one of `words` (none: nothing
    matches)."""
    if not words:
        return false()
    if db.session.get_bind().dialect.name == "postgresql":
        return column.bool_op("@@")(cast(" & ".join(words), TSQUERY))
    spaced = " " + column + " "
    return and_(*(func.instr(spaced, f" {word} ") > 0 for word in words))

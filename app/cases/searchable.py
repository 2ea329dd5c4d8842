"""The words a case is found by (case_record.search_words, app/search/words.py): those of its
title, description and address.

Written in one place: the column's insert default (models.py) computes them from the row being
inserted, whichever channel registers it; `service.correct` writes them again with the texts it
changes; `backfill` fills them for the cases of an installation that had none (migration 0024).
"""
from sqlalchemy import Integer, Text, bindparam, column, select, table, update

from app.search.words import WORDS, words_of

#: Cases read and written per round of the backfill.
BATCH = 5000

# The columns as migration 0024 knows them (not the model, which later migrations may change).
_cases = table("case_record", column("id", Integer), column("title", Text), column("description", Text),
               column("address", Text), column("search_words", WORDS))
_WRITE = update(_cases).where(_cases.c.id == bindparam("case_id")).values(search_words=bindparam("words"))


def case_words(title: str | None, description: str | None, address: str | None) -> str:
    """The words of a case's searchable texts (a line each, so no word spans two of them)."""
    return words_of("\n".join(filter(None, (title, description, address))))


def on_insert(context) -> str:
    """Insert default of search_words: the words of the row being inserted."""
    row = context.get_current_parameters()
    return case_words(row.get("title"), row.get("description"), row.get("address"))


def backfill(connection, batch: int = BATCH) -> int:
    """Write the words of every case, `batch` cases at a time in id order; returns how many."""
    done, last = 0, 0
    while True:
        rows = connection.execute(select(_cases.c.id, _cases.c.title, _cases.c.description, _cases.c.address)
                                  .where(_cases.c.id > last).order_by(_cases.c.id).limit(batch)).all()
        if not rows:
            return done
        connection.execute(_WRITE, [{"case_id": row.id, "words": case_words(row.title, row.description,
                                                                            row.address)} for row in rows])
        done, last = done + len(rows), rows[-1].id

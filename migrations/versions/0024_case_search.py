"""searchable words of a case (issue 15): case_record.search_words (a tsvector on PostgreSQL, with
its GIN index; text on SQLite)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 19:30:00

The text search of the case list and the inbox (app/search/words.py) reads the words of a case's
title, description and address instead of scanning the texts with ILIKE. The words of the cases
already registered are written here, in batches (app/cases/searchable.backfill; bench/README.md,
"Text search", says how long a million cases take), and the index is built after them, once.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('case_record', sa.Column('search_words', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'),
                                           server_default='', nullable=False))
    from app.cases.searchable import backfill

    backfill(op.get_bind())
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_case_record_search_words', 'case_record', ['search_words'], postgresql_using='gin')
        # a longer list of common words, so that a rare word is known rare: with the default
        # (100) PostgreSQL guessed 5,268 cases for one in 575 and walked the newest cases
        # instead of the index (650 ms against 15 ms at 3 M cases, bench/README.md)
        op.execute('ALTER TABLE case_record ALTER COLUMN search_words SET STATISTICS 1000')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_case_record_search_words', table_name='case_record')
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_column('search_words')

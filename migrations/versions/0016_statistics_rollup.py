"""statistics rollup: the dated counts per local day, kept by triggers on PostgreSQL

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-01 12:00:00

The table exists on both databases (the models say so); on PostgreSQL the triggers that keep it
are written from the figures' definitions (app/statistics/rollup.py) and the rollup is filled from
the existing facts — a city's three years take about a minute. A later migration that changes
what the rollup counts calls `rollup.install` again.
"""
import os

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

COUNTS = ("received", "accepted", "not_accepted", "answered_at_intake", "extended", "dispatched",
          "responded_on_time", "closed", "closed_on_time", "restarted", "assignments",
          "unit_responded_on_time", "returned", "returns_upheld", "returns_overruled", "escalated", "second_handled", "replied",
          "replied_on_time", "late_replies", "rated", "satisfied", "basically_satisfied", "resolved",
          "basically_resolved")


def _zone() -> str:
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config["TIMEZONE"]
    return os.environ.get("TIMEZONE", "Asia/Shanghai")


def upgrade():
    op.create_table('statistics_rollup',
    sa.Column('face', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    *(sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in COUNTS),
    sa.PrimaryKeyConstraint('face', 'day', 'territory_id', 'key', name=op.f('pk_statistics_rollup'))
    )
    with op.batch_alter_table('statistics_rollup', schema=None) as batch_op:
        batch_op.create_index('ix_statistics_rollup_territory', ['face', 'territory_id', 'day'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        from app.statistics import rollup

        rollup.install(bind, _zone())


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for table in ('case_record', 'case_assignment', 'case_rating'):
            op.execute(f'DROP TRIGGER IF EXISTS statistics_rollup ON {table}')
            op.execute(f'DROP FUNCTION IF EXISTS statistics_rollup_{table}()')
    with op.batch_alter_table('statistics_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_statistics_rollup_territory')
    op.drop_table('statistics_rollup')

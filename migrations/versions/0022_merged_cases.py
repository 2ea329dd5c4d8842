"""merged cases: case_record.merged_into_id, the main case a duplicate was merged into (重复件合并)

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-01 16:00:00

A merged case does not count as a case of its own in the statistics (app/statistics/figures.py),
so on PostgreSQL the rollup's triggers are written again from the definitions and the rollup is
refilled (as migration 0016 says a change of what the rollup counts does).
"""
import os

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = "0021"
branch_labels = None
depends_on = None


def _zone() -> str:
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config["TIMEZONE"]
    return os.environ.get("TIMEZONE", "Asia/Shanghai")


def upgrade():
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_record_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_record_merged_into_id_case_record'), 'case_record',
                                    ['merged_into_id'], ['id'])
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        from app.statistics import rollup

        rollup.install(bind, _zone())


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # the triggers read the column; without them the rollup is not read (its signature is gone)
        # until `flask statistics rollup` installs the older definitions' triggers again
        for table in ('case_record', 'case_assignment', 'case_rating'):
            op.execute(f'DROP TRIGGER IF EXISTS statistics_rollup ON {table}')
            op.execute(f'DROP FUNCTION IF EXISTS statistics_rollup_{table}()')
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_record_merged_into_id_case_record'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_record_merged_into_id'))
        batch_op.drop_column('merged_into_id')

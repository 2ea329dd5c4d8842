"""a unit's cases newest first (issue 15): case_record (unit_id, id) replaces (unit_id)

The case list of a unit role pages each branch of its jurisdiction by itself, newest first
(app/cases/service.list_visible); the unit's own cases are one of them. With (unit_id) alone the
database read every case of the unit and sorted them for each page; (unit_id, id) hands them over
in order, and answers whatever (unit_id) answered.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 23:55:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index('ix_case_record_unit_newest', ['unit_id', 'id'], unique=False)
        batch_op.drop_index('ix_case_record_unit_id')


def downgrade():
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index('ix_case_record_unit_id', ['unit_id'], unique=False)
        batch_op.drop_index('ix_case_record_unit_newest')

"""indexes for a city of millions of cases (issue 15): jurisdiction by the tasks of a unit or a user

A unit role sees the cases its units have (had) a task of, a user those they hold a task of
(app/cases/access.py); both are asked per case of a list. The case's own index answers them by
reading every task of the case (seven on a closed request); these answer with one entry, and
let the planner start from the unit's tasks (bench/README.md, "Scale (3,000,000 cases)").
The case list's light filter starts from the open tasks due before a moment: a partial index of
the open tasks only (a few per cent of the table).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 19:30:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_unit_case', ['candidate_unit_id', 'case_id'], unique=False)
        batch_op.create_index('ix_human_task_assignee_case', ['assignee_id', 'case_id'], unique=False)
        batch_op.create_index('ix_human_task_open_due', ['due_at', 'case_id'], unique=False,
                              sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_due', sqlite_where=sa.text("status = 'open'"),
                            postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_human_task_assignee_case')
        batch_op.drop_index('ix_human_task_unit_case')

"""review rules: who wrote a reply (case_reply.author_id), and who may not act on a task
(human_task.excluded_user_id, from the task's notBy property: the four-eyes rule)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 16:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_reply', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_case_reply_author_id_user_account'), 'user_account',
                                    ['author_id'], ['id'])
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_human_task_excluded_user_id_user_account'), 'user_account',
                                    ['excluded_user_id'], ['id'])


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_human_task_excluded_user_id_user_account'), type_='foreignkey')
        batch_op.drop_column('excluded_user_id')
    with op.batch_alter_table('case_reply', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_reply_author_id_user_account'), type_='foreignkey')
        batch_op.drop_column('author_id')

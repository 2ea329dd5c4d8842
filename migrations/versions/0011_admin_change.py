"""one audit table for administrators' changes: admin_change replaces time_limit_change

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 10:00:00

The rows of time_limit_change move into admin_change (entity "time_limit", key the row id,
action "create" when there was no old value, else "update"); downgrade moves them back.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_TIME_LIMIT_CHANGE = sa.table('time_limit_change', sa.column('id', sa.Integer()),
                              sa.column('time_limit_id', sa.Integer()), sa.column('user_id', sa.Integer()),
                              sa.column('at', sa.DateTime()), sa.column('old', sa.JSON()),
                              sa.column('new', sa.JSON()))
_ADMIN_CHANGE = sa.table('admin_change', sa.column('id', sa.Integer()), sa.column('at', sa.DateTime()),
                         sa.column('user_id', sa.Integer()), sa.column('entity', sa.String()),
                         sa.column('entity_key', sa.String()), sa.column('action', sa.String()),
                         sa.column('old', sa.JSON()), sa.column('new', sa.JSON()))


def upgrade():
    op.create_table('admin_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_key', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_admin_change_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_change'))
    )
    with op.batch_alter_table('admin_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_change_at'), ['at'], unique=False)
        batch_op.create_index('ix_admin_change_entity_at', ['entity', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_change_user_id'), ['user_id'], unique=False)

    rows = op.get_bind().execute(sa.select(_TIME_LIMIT_CHANGE).order_by(_TIME_LIMIT_CHANGE.c.id)).all()
    if rows:
        op.bulk_insert(_ADMIN_CHANGE, [
            {"at": row.at, "user_id": row.user_id, "entity": "time_limit", "entity_key": str(row.time_limit_id),
             "action": "create" if row.old is None else "update", "old": row.old, "new": row.new}
            for row in rows])
    op.drop_table('time_limit_change')


def downgrade():
    op.create_table('time_limit_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('time_limit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['time_limit_id'], ['time_limit.id'], name=op.f('fk_time_limit_change_time_limit_id_time_limit')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_time_limit_change_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_limit_change'))
    )
    rows = op.get_bind().execute(sa.select(_ADMIN_CHANGE).where(_ADMIN_CHANGE.c.entity == 'time_limit')
                                 .order_by(_ADMIN_CHANGE.c.id)).all()
    if rows:
        op.bulk_insert(_TIME_LIMIT_CHANGE, [
            {"time_limit_id": int(row.entity_key), "user_id": row.user_id, "at": row.at, "old": row.old,
             "new": row.new} for row in rows])
    with op.batch_alter_table('admin_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_change_user_id'))
        batch_op.drop_index('ix_admin_change_entity_at')
        batch_op.drop_index(batch_op.f('ix_admin_change_at'))

    op.drop_table('admin_change')

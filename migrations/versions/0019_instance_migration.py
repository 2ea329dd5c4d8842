"""instance_migration: each move of a running instance to another deployed version, revertible

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instance_migration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_definition_id', sa.Integer(), nullable=False),
    sa.Column('to_definition_id', sa.Integer(), nullable=False),
    sa.Column('previous_state', sa.Text(), nullable=False),
    sa.Column('revision_after', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reverted_at', sa.DateTime(), nullable=True),
    sa.Column('reverted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_instance_migration_actor_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_instance_migration_case_id_case_record')),
    sa.ForeignKeyConstraint(['from_definition_id'], ['process_definition.id'], name=op.f('fk_instance_migration_from_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_instance_migration_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['reverted_by_id'], ['user_account.id'], name=op.f('fk_instance_migration_reverted_by_id_user_account')),
    sa.ForeignKeyConstraint(['to_definition_id'], ['process_definition.id'], name=op.f('fk_instance_migration_to_definition_id_process_definition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_migration'))
    )
    with op.batch_alter_table('instance_migration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instance_migration_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instance_migration_instance_id'), ['instance_id'], unique=False)


def downgrade():
    with op.batch_alter_table('instance_migration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instance_migration_instance_id'))
        batch_op.drop_index(batch_op.f('ix_instance_migration_case_id'))
    op.drop_table('instance_migration')

"""assessment schemes, frozen rankings, appeals of ratings; the appeal_review time limit

An installation whose time-limit table is seeded already gets the default row of the new phase
appeal_review (5 working days), as `flask timelimits seed-defaults` gives a new one.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:09:51.437740

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


_time_limit = sa.table("time_limit", sa.column("phase", sa.String), sa.column("amount", sa.Float),
                       sa.column("unit", sa.String), sa.column("auto_escalate", sa.Boolean),
                       sa.column("updated_at", sa.DateTime))


def upgrade():
    op.create_table('assessment_scheme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('deductions', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_assessment_scheme_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_scheme')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_assessment_scheme_code'))
    )
    with op.batch_alter_table('assessment_scheme', schema=None) as batch_op:
        batch_op.create_index('uq_assessment_scheme_active', ['active'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('assessment_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_first', sa.Date(), nullable=False),
    sa.Column('period_last', sa.Date(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=True),
    sa.Column('scheme', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(), nullable=False),
    sa.Column('frozen_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['frozen_by_id'], ['user_account.id'], name=op.f('fk_assessment_snapshot_frozen_by_id_user_account')),
    sa.ForeignKeyConstraint(['scheme_id'], ['assessment_scheme.id'], name=op.f('fk_assessment_snapshot_scheme_id_assessment_scheme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_snapshot')),
    sa.UniqueConstraint('period_first', 'period_last', name=op.f('uq_assessment_snapshot_period_first'))
    )
    op.create_table('assessment_snapshot_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['assessment_snapshot.id'], name=op.f('fk_assessment_snapshot_row_snapshot_id_assessment_snapshot')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_assessment_snapshot_row_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_snapshot_row')),
    sa.UniqueConstraint('snapshot_id', 'unit_id', name=op.f('uq_assessment_snapshot_row_snapshot_id'))
    )
    with op.batch_alter_table('assessment_snapshot_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_snapshot_row_unit_id'), ['unit_id'], unique=False)

    op.create_table('rating_appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_rating_appeal_case_id_case_record')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_rating_appeal_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['user_account.id'], name=op.f('fk_rating_appeal_filed_by_id_user_account')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_rating_appeal_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['rating_id'], ['case_rating.id'], name=op.f('fk_rating_appeal_rating_id_case_rating')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_rating_appeal_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_appeal'))
    )
    with op.batch_alter_table('rating_appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_appeal_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_rating_appeal_unit', ['unit_id', 'id'], unique=False)
        batch_op.create_index('uq_rating_appeal_open', ['rating_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    connection = op.get_bind()
    seeded = connection.execute(sa.select(sa.func.count()).select_from(_time_limit)).scalar()
    has_phase = connection.execute(sa.select(sa.func.count()).select_from(_time_limit)
                                   .where(_time_limit.c.phase == "appeal_review")).scalar()
    if seeded and not has_phase:
        op.bulk_insert(_time_limit, [{"phase": "appeal_review", "amount": 5.0, "unit": "working_days",
                                      "auto_escalate": False,
                                      "updated_at": datetime.now(UTC).replace(tzinfo=None)}])


def downgrade():
    op.execute(_time_limit.delete().where(_time_limit.c.phase == "appeal_review"))
    with op.batch_alter_table('rating_appeal', schema=None) as batch_op:
        batch_op.drop_index('uq_rating_appeal_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_rating_appeal_unit')
        batch_op.drop_index(batch_op.f('ix_rating_appeal_case_id'))

    op.drop_table('rating_appeal')
    with op.batch_alter_table('assessment_snapshot_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_snapshot_row_unit_id'))

    op.drop_table('assessment_snapshot_row')
    op.drop_table('assessment_snapshot')
    with op.batch_alter_table('assessment_scheme', schema=None) as batch_op:
        batch_op.drop_index('uq_assessment_scheme_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.drop_table('assessment_scheme')

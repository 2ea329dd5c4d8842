"""case address and publication

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Existing cases stay private: nobody chose to publish them (docs/operations.md, Decisions).
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_column('public')
        batch_op.drop_column('address')

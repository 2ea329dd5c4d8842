"""indexes for a city of millions of cases (issue 15): placeholder, filled by the scale work

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 19:30:00
"""

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

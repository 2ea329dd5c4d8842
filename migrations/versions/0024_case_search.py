"""searchable words of a case (issue 15): placeholder, filled by the search work

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 19:30:00
"""

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

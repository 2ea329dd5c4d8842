"""phases and roles as data: tables `phase` and `role`, seeded with the built-in ones

An administrator adds phases (each with its time limits) and roles (each with the scope of cases its
holders see) as rows; BPMN files name them in deadline('<phase>') and candidateGroups.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-01 13:40:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

PHASES = (("dispatch", "分拨", "Dispatch"), ("sign_for", "签收", "Signing for"),
          ("first_contact", "首次联系", "First contact"), ("handling", "办理", "Handling"),
          ("unit_review", "单位审核", "Unit review"), ("platform_review", "平台审核", "Platform review"),
          ("rating_window", "评价期", "Rating window"), ("extension_max", "最长延期", "Maximum extension"),
          ("appeal_review", "申诉审核", "Appeal review"))
ROLES = (("registrar", "登记员", "Registrar", "territory"), ("dispatcher", "分拨员", "Dispatcher", "territory"),
         ("handler", "承办人", "Handler", "unit"), ("unit_reviewer", "单位审核人", "Unit reviewer", "unit"),
         ("platform_supervisor", "平台督办员", "Platform supervisor", "territory"),
         ("leader", "领导", "Leader", "territory"), ("administrator", "管理员", "Administrator", "territory"),
         ("process_designer", "流程设计员", "Process designer", "tasks"),
         ("auditor", "审计员", "Auditor", "territory"))


def upgrade():
    phase = op.create_table('phase',
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_phase'))
    )
    role = op.create_table('role',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_role'))
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(phase, [{"code": code, "name_zh": zh, "name_en": en, "builtin": True, "created_at": now}
                           for code, zh, en in PHASES])
    op.bulk_insert(role, [{"code": code, "name_zh": zh, "name_en": en, "scope": scope, "builtin": True,
                           "created_at": now} for code, zh, en, scope in ROLES])


def downgrade():
    op.drop_table('role')
    op.drop_table('phase')

"""process bundles: a version's forms in the database, the release pointer, process choices

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 13:40:00

Versions deployed before bundles rendered their tasks with the forms on disk; the upgrade stores,
for each of them, the forms its user tasks name as found in FORMS_DIR (default: the repository's
forms/), and their bundle hash computed as app.engine.repository.bundle_digest does (so a restart
recognises them and does not deploy them again). Each process's release is its newest version.
"""
import hashlib
import json
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from lxml import etree


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
_DEFINITION = sa.table('process_definition', sa.column('id', sa.Integer()), sa.column('process_id', sa.String()),
                       sa.column('version', sa.Integer()), sa.column('bpmn_xml', sa.Text()),
                       sa.column('bundle_sha256', sa.String()), sa.column('deployed_at', sa.DateTime()))
_FORM = sa.table('process_form', sa.column('definition_id', sa.Integer()), sa.column('form_id', sa.String()),
                 sa.column('filename', sa.String()), sa.column('source', sa.Text()))
_RELEASE = sa.table('process_release', sa.column('process_id', sa.String()),
                    sa.column('definition_id', sa.Integer()), sa.column('changed_at', sa.DateTime()))


def _disk_forms() -> dict[str, tuple[str, str]]:
    directory = Path(os.environ.get("FORMS_DIR") or Path(__file__).resolve().parents[2] / "forms")
    found = {}
    for path in sorted(directory.glob("*.form")):
        try:
            source = path.read_text(encoding="utf-8")
            form_id = json.loads(source).get("id")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(form_id, str):
            found.setdefault(form_id, (path.name, source))
    return found


def _form_keys(xml: str) -> set[str]:
    root = etree.fromstring(xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    keys = set()
    for node in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask"):
        key = node.get(f"{_CAMUNDA}formKey") or node.get(f"{_CAMUNDA}formRef")
        if key:
            keys.add(key)
    return keys


def _digest(xml: str, forms: dict[str, str]) -> str:
    digest = hashlib.sha256(xml.encode("utf-8"))
    for form_id in sorted(forms):
        digest.update(b"\0" + form_id.encode("utf-8") + b"\0" + forms[form_id].encode("utf-8"))
    return digest.hexdigest()


def upgrade():
    op.create_table('process_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'],
                            name=op.f('fk_process_form_definition_id_process_definition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_form')),
    sa.UniqueConstraint('definition_id', 'form_id', name=op.f('uq_process_form_definition_id'))
    )
    op.create_table('process_release',
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'],
                            name=op.f('fk_process_release_changed_by_id_user_account')),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'],
                            name=op.f('fk_process_release_definition_id_process_definition')),
    sa.PrimaryKeyConstraint('process_id', name=op.f('pk_process_release'))
    )
    op.create_table('process_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_type', sa.String(length=20), nullable=False),
    sa.Column('klass', sa.String(length=20), nullable=True),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_choice')),
    sa.UniqueConstraint('request_type', 'klass', name=op.f('uq_process_choice_request_type'))
    )
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bundle_sha256', sa.String(length=64), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(sa.select(_DEFINITION).order_by(_DEFINITION.c.process_id, _DEFINITION.c.version)).all()
    disk = _disk_forms() if rows else {}
    newest = {}
    for row in rows:
        named = {key: disk[key] for key in _form_keys(row.bpmn_xml) if key in disk}
        if named:
            op.bulk_insert(_FORM, [{"definition_id": row.id, "form_id": key, "filename": filename,
                                    "source": source} for key, (filename, source) in named.items()])
        bind.execute(_DEFINITION.update().where(_DEFINITION.c.id == row.id).values(
            bundle_sha256=_digest(row.bpmn_xml, {key: source for key, (_, source) in named.items()})))
        newest[row.process_id] = row
    if newest:
        op.bulk_insert(_RELEASE, [{"process_id": pid, "definition_id": row.id, "changed_at": row.deployed_at}
                                  for pid, row in newest.items()])

    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.alter_column('bundle_sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_process_definition_bundle_sha256'), ['bundle_sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definition_bundle_sha256'))
        batch_op.drop_column('bundle_sha256')
    op.drop_table('process_choice')
    op.drop_table('process_release')
    op.drop_table('process_form')

"""Migration of running cases to another version of their process: preview, migrate (with a dry
run) and revert. Mounted under /api/v1/workflows/<process_id>/migrations."""
from flask import g
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.fields import ID_RANGE, UtcDateTime
from app.api.security import permission_required
from app.engine import migration, repository
from app.engine.errors import NotFound

blp = Blueprint("migrations", __name__, description="Migrating running cases between process versions")




class TargetArgs(Schema):
    target_version = fields.Integer(validate=ID_RANGE,
                                    metadata={"description": "default: the release"})


class MigrateArgs(TargetArgs):
    instance_ids = fields.List(fields.Integer(validate=ID_RANGE), required=True,
                               validate=validate.Length(min=1, max=1000))
    dry_run = fields.Boolean(load_default=False)


class PreviewSchema(Schema):
    instance_id = fields.Integer()
    case_id = fields.Integer()
    case_number = fields.String()
    from_definition_id = fields.Integer()
    from_version = fields.Integer()
    mapped = fields.List(fields.Dict())
    removed = fields.List(fields.String())
    added = fields.List(fields.String())
    can_migrate = fields.Boolean()
    reason = fields.String(allow_none=True)


class OutcomeSchema(Schema):
    instance_id = fields.Integer()
    case_number = fields.String(allow_none=True)
    from_version = fields.Integer(allow_none=True)
    migrated = fields.Boolean(metadata={"description": "in a dry run: would migrate"})
    reason = fields.String(allow_none=True)
    migration_id = fields.Integer(allow_none=True)


class ReportSchema(Schema):
    target_definition_id = fields.Integer()
    target_version = fields.Integer()
    dry_run = fields.Boolean()
    migrated = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(OutcomeSchema))


class MigrationSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    case_number = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    at = UtcDateTime()
    reverted_at = UtcDateTime(allow_none=True)


def _target_id(process_id: str, version: int | None) -> int:
    """The version asked for, else the release: the version new cases start on."""
    if version is not None:
        return repository.get_version(process_id, version).id
    release = repository.release_definition_id(process_id)
    if release is None:
        raise NotFound(f"process '{process_id}' is not deployed")
    return release


@blp.route("/<process_id>/migrations")
@permission_required("workflow:read")
@blp.arguments(TargetArgs, location="query")
@blp.response(200, PreviewSchema(many=True))
def preview(args, process_id):
    """Every running case on an older version and what migrating it to the target would do."""
    return migration.preview(_target_id(process_id, args.get("target_version")))


@blp.route("/<process_id>/migrations", methods=["POST"])
@permission_required("workflow:deploy")
@blp.arguments(MigrateArgs)
@blp.response(200, ReportSchema)
def migrate(args, process_id):
    """Migrate the chosen cases, one transaction per case; `dry_run` only says what would happen."""
    target_id = _target_id(process_id, args.get("target_version"))
    return migration.migrate(target_id, args["instance_ids"], g.user.id, dry_run=args["dry_run"])


@blp.route("/<process_id>/migrations/done")
@permission_required("workflow:read")
@blp.response(200, MigrationSchema(many=True))
def done(process_id):
    """The latest migrations to versions of this process, newest first."""
    return migration.migrations_of(process_id)


@blp.route("/<process_id>/migrations/<int:migration_id>/revert", methods=["POST"])
@permission_required("workflow:deploy")
@blp.response(200, MigrationSchema)
def revert(process_id, migration_id):
    """Put the case back on the version it came from, if nothing happened to it since."""
    migration.revert(migration_id, g.user.id, process_id=process_id)
    return next(m for m in migration.migrations_of(process_id) if m.id == migration_id)

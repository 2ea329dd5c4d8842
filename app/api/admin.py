"""Administration: territories, units, categories, routing catalogue, users, and bulk imports.

Every endpoint needs the "admin:manage" permission (administrators): 401 without a valid token,
403 for other roles. Invalid fields answer 422 (code "invalid_data" or "invalid_fields") with
{"errors": {field: [messages]}}; a code or username that exists already answers 409 (code
"duplicate"). Password hashes are never returned.
"""
from flask import current_app, g
from flask_smorest import abort
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from app.accounts.importing import IMPORTERS, MAX_FILE_BYTES, ImportReport
from app.api.blueprint import Blueprint
from app.api.errors import error_response
from app.api.fields import AdminPageArgs as PageArgs
from app.api.fields import ChangesSchema, UtcDateTime
from app.api.security import permission_required
from app.engine.transaction import transaction
from app.organisation import admin

blp = Blueprint("admin", __name__, description="Organisation administration")

_NO_STORE = {"Cache-Control": "no-store"}  # answers that may carry a generated password


# --- schemas -----------------------------------------------------------------------------------

class TerritoryArgs(PageArgs):
    parent_code = fields.String(load_default=None)


class TerritorySchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_code = fields.Function(admin.parent_code_of, allow_none=True)
    path = fields.String()


class TerritoryCreateSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    parent_code = fields.String(load_default=None, allow_none=True)


class TerritoryUpdateSchema(ChangesSchema):
    name = fields.String()
    level = fields.String()


class UnitArgs(PageArgs):
    territory_code = fields.String(load_default=None)
    level = fields.String(load_default=None)


class UnitSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    kind = fields.String()
    territory_code = fields.Function(lambda unit: unit.territory.code if unit.territory else None,
                                     allow_none=True)


class UnitCreateSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    kind = fields.String(load_default="office")
    territory_code = fields.String(load_default=None, allow_none=True)


class UnitUpdateSchema(ChangesSchema):
    name = fields.String()
    level = fields.String()
    kind = fields.String()
    territory_code = fields.String(allow_none=True)


class CategorySchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    klass = fields.String(data_key="class", metadata={"description": "one of " + ", ".join(admin.CLASSES)})


class CategoryCreateSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    klass = fields.String(data_key="class", load_default="livelihood")


class CategoryUpdateSchema(ChangesSchema):
    name = fields.String()
    klass = fields.String(data_key="class")


class RoutingRuleArgs(PageArgs):
    territory_code = fields.String(load_default=None)
    level = fields.String(load_default=None)


class RoutingRuleSchema(Schema):
    id = fields.Integer()
    territory_code = fields.String()
    level = fields.String()
    category_code = fields.String(allow_none=True, metadata={"description": "null: any category"})
    unit_code = fields.String()


class RoutingRuleCreateSchema(Schema):
    territory_code = fields.String(required=True)
    level = fields.String(required=True)
    category_code = fields.String(load_default=None, allow_none=True)
    unit_code = fields.String(required=True)


class RoutingRuleUpdateSchema(Schema):
    unit_code = fields.String(required=True)


class MembershipSchema(Schema):
    unit_code = fields.String(required=True)
    role = fields.String(required=True)


class UserArgs(PageArgs):
    unit_code = fields.String(load_default=None)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    active = fields.Boolean()
    created_at = UtcDateTime()
    memberships = fields.Function(lambda user: sorted(
        ({"unit_code": m.unit.code, "role": m.role} for m in user.memberships),
        key=lambda m: (m["unit_code"], m["role"])))


class UserCreatedSchema(UserSchema):
    generated_password = fields.String(allow_none=True, metadata={
        "description": "set when no password was given: hand it to the user; it is not shown again"})


class UserCreateSchema(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    password = fields.String(load_default=None, allow_none=True, load_only=True,
                             metadata={"description": "empty: one is generated and returned once"})
    active = fields.Boolean(load_default=True)
    memberships = fields.List(fields.Nested(MembershipSchema), load_default=list)


class UserUpdateSchema(ChangesSchema):
    display_name = fields.String()
    password = fields.String(load_only=True)
    active = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipSchema),
                              metadata={"description": "replaces all memberships"})


class PasswordResetSchema(Schema):
    username = fields.String()
    generated_password = fields.String(metadata={
        "description": "hand it to the user; it is not shown again"})


class SignedOutSchema(Schema):
    sessions = fields.Integer(metadata={"description": "web sessions ended"})
    tokens = fields.Integer(metadata={"description": "API tokens revoked"})


class ImportFileSchema(Schema):
    file = Upload(required=True)


class GeneratedPasswordSchema(Schema):
    username = fields.String()
    password = fields.String()


class ImportResultSchema(Schema):
    imported = fields.Integer()
    generated_passwords = fields.List(fields.Nested(GeneratedPasswordSchema))


# --- territories -------------------------------------------------------------------------------

@blp.route("/territories")
@permission_required("admin:manage")
@blp.arguments(TerritoryArgs, location="query")
@blp.response(200, TerritorySchema(many=True))
def list_territories(args):
    """Territories in tree order (by path); `parent_code` lists one node's children."""
    return admin.list_territories(**args)


@blp.route("/territories", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(TerritoryCreateSchema)
@blp.response(201, TerritorySchema)
def create_territory(payload):
    """Create a territory under `parent_code` (none: a root); 409 if the code exists."""
    with transaction():
        return admin.create_territory(**payload, actor=g.user)


@blp.route("/territories/<string:code>", methods=["PATCH"])
@permission_required("admin:manage")
@blp.arguments(TerritoryUpdateSchema)
@blp.response(200, TerritorySchema)
def update_territory(payload, code):
    """Rename a territory or change its level."""
    with transaction():
        return admin.update_territory(code, payload, actor=g.user)


# --- units -------------------------------------------------------------------------------------

@blp.route("/units")
@permission_required("admin:manage")
@blp.arguments(UnitArgs, location="query")
@blp.response(200, UnitSchema(many=True))
def list_units(args):
    return admin.list_units(**args)


@blp.route("/units", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(UnitCreateSchema)
@blp.response(201, UnitSchema)
def create_unit(payload):
    """Create a handling unit; 409 if the code exists."""
    with transaction():
        return admin.create_unit(**payload, actor=g.user)


@blp.route("/units/<string:code>", methods=["PATCH"])
@permission_required("admin:manage")
@blp.arguments(UnitUpdateSchema)
@blp.response(200, UnitSchema)
def update_unit(payload, code):
    with transaction():
        return admin.update_unit(code, payload, actor=g.user)


# --- categories --------------------------------------------------------------------------------

@blp.route("/categories")
@permission_required("admin:manage")
@blp.arguments(PageArgs, location="query")
@blp.response(200, CategorySchema(many=True))
def list_categories(args):
    return admin.list_categories(**args)


@blp.route("/categories", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(CategoryCreateSchema)
@blp.response(201, CategorySchema)
def create_category(payload):
    """Create a request category; 409 if the code exists."""
    with transaction():
        return admin.create_category(**payload, actor=g.user)


@blp.route("/categories/<string:code>", methods=["PATCH"])
@permission_required("admin:manage")
@blp.arguments(CategoryUpdateSchema)
@blp.response(200, CategorySchema)
def update_category(payload, code):
    with transaction():
        return admin.update_category(code, payload, actor=g.user)


# --- routing rules -----------------------------------------------------------------------------

@blp.route("/routing-rules")
@permission_required("admin:manage")
@blp.arguments(RoutingRuleArgs, location="query")
@blp.response(200, RoutingRuleSchema(many=True))
def list_routing_rules(args):
    return admin.list_routing_rules(**args)


@blp.route("/routing-rules", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(RoutingRuleCreateSchema)
@blp.response(201, RoutingRuleSchema)
def create_routing_rule(payload):
    """Create a rule (category_code null: any category); 409 if the territory already has a rule
    for that level and category."""
    with transaction():
        return admin.create_routing_rule(**payload, actor=g.user)


@blp.route("/routing-rules/<int:rule_id>", methods=["PATCH"])
@permission_required("admin:manage")
@blp.arguments(RoutingRuleUpdateSchema)
@blp.response(200, RoutingRuleSchema)
def update_routing_rule(payload, rule_id):
    with transaction():
        return admin.update_routing_rule(rule_id, payload, actor=g.user)


# --- users -------------------------------------------------------------------------------------

@blp.route("/users")
@permission_required("admin:manage")
@blp.arguments(UserArgs, location="query")
@blp.response(200, UserSchema(many=True))
def list_users(args):
    return admin.list_users(**args)


@blp.route("/users", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserCreatedSchema)
def create_user(payload):
    """Create a user with memberships; without a password one is generated and returned once as
    `generated_password`. 409 if the username exists (regardless of case)."""
    with transaction():
        user, generated = admin.create_user(**payload, actor=g.user)
    user.generated_password = generated
    return user, 201, _NO_STORE


@blp.route("/users/<string:username>", methods=["PATCH"])
@permission_required("admin:manage")
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(payload, username):
    """Change display name, active flag or password, or replace the memberships. A new password
    or `active: false` revokes every token and web session of the user. A change that would leave
    no active administrator is refused (422)."""
    with transaction():
        return admin.update_user(username, payload, actor=g.user)


@blp.route("/users/<string:username>/reset-password", methods=["POST"])
@permission_required("admin:manage")
@blp.response(200, PasswordResetSchema)
def reset_password(username):
    """Replace the user's password with a generated one, returned once, and revoke every token and
    web session of the user."""
    with transaction():
        user, generated = admin.reset_password(username, actor=g.user)
    return {"username": user.username, "generated_password": generated}, 200, _NO_STORE


@blp.route("/users/<string:username>/sign-out", methods=["POST"])
@permission_required("admin:manage")
@blp.response(200, SignedOutSchema)
def sign_out(username):
    """Sign the user out everywhere: every web session ends and every API token is revoked."""
    with transaction():
        return admin.sign_out_everywhere(username, actor=g.user)


# --- imports -----------------------------------------------------------------------------------

@blp.route("/import/<string:kind>", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(ImportFileSchema, location="files")
@blp.response(200, ImportResultSchema)
@blp.alt_response(422, description="Nothing was imported; `errors` maps \"row N\" (or \"file\") to "
                                    "\"field: message\" strings")
def import_file(files, kind):
    """Import a CSV or XLSX file (multipart field `file`); `kind` is users, territories, units,
    categories or routing-rules. All or nothing: any bad row → 422 "import_refused" listing every
    bad row, and nothing is written. Users without a password get a generated one, returned in
    `generated_passwords` (this is the only time they are shown)."""
    importer = IMPORTERS.get(kind)
    if importer is None:
        abort(404, message=f"cannot import '{kind}'; kinds are: {', '.join(IMPORTERS)}")
    data = files["file"].read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        abort(413, message=f"an import file may be at most {MAX_FILE_BYTES // 2**20} MB")
    report = importer(data, actor=g.user)
    current_app.logger.info("admin %s imported %s: %d rows, %d problems", g.user.username, kind,
                            report.imported, len(report.errors))
    if not report.ok:
        return _refusal(report)
    passwords = [{"username": u, "password": p} for u, p in report.generated_passwords.items()]
    return {"imported": report.imported, "generated_passwords": passwords}, 200, _NO_STORE


def _refusal(report: ImportReport):
    errors: dict[str, list[str]] = {}
    for error in report.errors:
        key = "file" if error.row_number is None else f"row {error.row_number}"
        text = error.message if error.field == "file" else f"{error.field}: {error.message}"
        errors.setdefault(key, []).append(text)
    bad_rows = sum(1 for key in errors if key != "file")
    message = (f"nothing was imported: {bad_rows} row(s) have errors" if bad_rows
               else "nothing was imported: " + "; ".join(errors.get("file", [])))
    return error_response(422, message, errors, code="import_refused")

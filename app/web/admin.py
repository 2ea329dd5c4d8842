"""Administration pages (permission "admin:manage"): territories, units, categories, the routing
catalogue and users, each a list with a simple create form, and the CSV/XLSX import.

The forms call the same service functions as the JSON API (app/organisation/admin.py and
app/accounts/importing.py), so the field rules and messages are the same; a refused form is shown
again with the service's per-field messages next to the fields.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.accounts.importing import COLUMNS, IMPORTERS, MAX_FILE_BYTES
from app.accounts.models import ROLES
from app.engine.errors import InvalidData
from app.engine.transaction import transaction
from app.organisation import admin as service
from app.organisation.admin import Duplicate
from app.organisation.models import CLASSES, TERRITORY_LEVELS, UNIT_KINDS, UNIT_LEVELS
from app.web import labels
from app.web.cases import page_number
from app.web.security import login_required

bp = Blueprint("web_admin", __name__, url_prefix="/admin")

PAGE_SIZE = 200
MAX_FIELD = 400  # longer input is cut here; the service then names the field's real limit


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "").strip()[:MAX_FIELD] for name in names}


def _paging() -> dict:
    page = page_number()
    return {"page": page, "limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE}


def _page_of(rows: list, paging: dict) -> dict:
    return {"rows": rows[:PAGE_SIZE], "page": paging["page"], "has_next": len(rows) > PAGE_SIZE}


def _create(create, **arguments):
    """Run a create service function in one transaction. Returns (created row, None) or
    (None, (field errors, HTTP status)) when the service refused the input."""
    try:
        with transaction():
            return create(**arguments), None
    except (InvalidData, Duplicate) as refused:
        return None, (refused.errors or {"form": [refused.message]}, refused.status)


@bp.get("")
@login_required("admin:manage")
def index():
    return render_template("admin/index.html")


# --- territories -------------------------------------------------------------------------------

@bp.route("/territories", methods=["GET", "POST"])
@login_required("admin:manage")
def territories():
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = _form("code", "name", "level", "parent_code")
        row, refused = _create(service.create_territory, code=form["code"], name=form["name"],
                               level=form["level"], parent_code=form["parent_code"] or None)
        if refused is None:
            flash(f"已创建行政区划 {row.code} {row.name}", "success")
            return redirect(url_for(".territories"))
        errors, status = refused
    paging = _paging()
    rows = service.list_territories(limit=paging["limit"], offset=paging["offset"])
    return render_template("admin/territories.html", listing=_page_of(rows, paging), form=form,
                           errors=errors, levels=labels.choices(TERRITORY_LEVELS, labels.LEVELS)), status


# --- units -------------------------------------------------------------------------------------

@bp.route("/units", methods=["GET", "POST"])
@login_required("admin:manage")
def units():
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = _form("code", "name", "level", "kind", "territory_code")
        row, refused = _create(service.create_unit, code=form["code"], name=form["name"],
                               level=form["level"], kind=form["kind"],
                               territory_code=form["territory_code"] or None)
        if refused is None:
            flash(f"已创建承办单位 {row.code} {row.name}", "success")
            return redirect(url_for(".units"))
        errors, status = refused
    paging = _paging()
    rows = service.list_units(limit=paging["limit"], offset=paging["offset"])
    return render_template("admin/units.html", listing=_page_of(rows, paging), form=form, errors=errors,
                           levels=labels.choices(UNIT_LEVELS, labels.LEVELS),
                           kinds=labels.choices(UNIT_KINDS, labels.UNIT_KINDS)), status


# --- categories --------------------------------------------------------------------------------

@bp.route("/categories", methods=["GET", "POST"])
@login_required("admin:manage")
def categories():
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = _form("code", "name", "class")
        row, refused = _create(service.create_category, code=form["code"],
                               name=form["name"], klass=form["class"])
        if refused is None:
            flash(f"已创建诉求分类 {row.code} {row.name}", "success")
            return redirect(url_for(".categories"))
        errors, status = refused
    paging = _paging()
    rows = service.list_categories(limit=paging["limit"], offset=paging["offset"])
    return render_template("admin/categories.html", listing=_page_of(rows, paging), form=form,
                           errors=errors, classes=labels.choices(CLASSES, labels.CLASSES)), status


# --- routing catalogue -------------------------------------------------------------------------

@bp.route("/routing", methods=["GET", "POST"])
@login_required("admin:manage")
def routing():
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = _form("territory_code", "level", "category_code", "unit_code")
        row, refused = _create(service.create_routing_rule,
                               territory_code=form["territory_code"], level=form["level"],
                               unit_code=form["unit_code"], category_code=form["category_code"] or None)
        if refused is None:
            flash(f"已创建派单规则：{row['territory_code']} {row['level']} → {row['unit_code']}", "success")
            return redirect(url_for(".routing"))
        errors, status = refused
    filters = {"territory_code": request.args.get("territory_code", "").strip()[:MAX_FIELD],
               "level": request.args.get("level", "").strip()[:MAX_FIELD]}
    paging = _paging()
    rows = service.list_routing_rules(territory_code=filters["territory_code"] or None,
                                      level=filters["level"] or None, limit=paging["limit"],
                                      offset=paging["offset"])
    return render_template("admin/routing.html", listing=_page_of(rows, paging), form=form, errors=errors,
                           filters=filters, levels=labels.choices(UNIT_LEVELS, labels.LEVELS)), status


# --- users -------------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
@login_required("admin:manage")
def users():
    form, errors, status, created, generated = {}, {}, 200, None, None
    if request.method == "POST":
        form = _form("username", "display_name", "unit_code", "role")
        password = request.form.get("password", "")
        memberships = ([{"unit_code": form["unit_code"], "role": form["role"]}]
                       if form["unit_code"] or form["role"] else [])
        result, refused = _create(service.create_user, username=form["username"],
                                  display_name=form["display_name"], password=password or None,
                                  active=True, memberships=memberships)
        if refused is None:
            # shown on this page only (never put into the session cookie by flash)
            created, generated = result
            form = {}
        else:
            errors, status = refused
    paging = _paging()
    rows = service.list_users(limit=paging["limit"], offset=paging["offset"])
    return render_template("admin/users.html", listing=_page_of(rows, paging), form=form, errors=errors,
                           roles=labels.choices(ROLES, labels.ROLES), created=created,
                           generated_password=generated), status


# --- import ------------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@login_required("admin:manage")
def import_file():
    """All or nothing (app/accounts/importing.py): a refused file shows every bad row (422)."""
    kind, errors, report, status = request.form.get("kind", ""), {}, None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        if kind not in IMPORTERS:
            errors["kind"] = ["请选择导入类型 / choose what to import"]
        if upload is None or not upload.filename:
            errors["file"] = ["请选择文件 / choose a CSV or XLSX file"]
        data = upload.read(MAX_FILE_BYTES + 1) if not errors else b""
        if len(data) > MAX_FILE_BYTES:
            megabytes = MAX_FILE_BYTES // 2**20
            errors["file"] = [f"文件不能超过 {megabytes} MB / at most {megabytes} MB"]
        if errors:
            status = 413 if len(data) > MAX_FILE_BYTES else 422
        else:
            report = IMPORTERS[kind](data)
            status = 200 if report.ok else 422
    return render_template("admin/import.html", kinds=labels.choices(IMPORTERS, labels.IMPORT_KINDS),
                           columns=COLUMNS, kind=kind, errors=errors, report=report), status

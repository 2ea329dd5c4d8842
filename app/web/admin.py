"""Administration pages (permission "admin:manage"): territories, units, categories, the routing
catalogue and users, each a list with a simple create form, the CSV/XLSX import, the time-limit
table with its change log and the yellow-light share, the phases and roles BPMN files name, the
working-day calendar (official holidays,
make-up days, overrides, a deadline checker), channel API keys, and the audit of every change.

The forms call the same service functions as the JSON API (app/organisation/admin.py,
app/accounts/importing.py, app/timelimits, app/channels/keys.py), as the signed-in administrator
(the audit's actor), so the field rules and messages are the same; a refused form is shown
again with the service's per-field messages next to the fields.
"""
import math
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import roles, sessions
from app.accounts.importing import COLUMNS, IMPORTERS, MAX_FILE_BYTES
from app.accounts.models import User
from app.audit import service as audit
from app.channels import keys
from app.clock import to_naive_utc
from app.engine.errors import InvalidData, NotFound
from app.engine.transaction import transaction
from app.extensions import db
from app.i18n import active_locale
from app.organisation import admin as service
from app.organisation import qrcodes
from app.organisation.admin import Duplicate
from app.organisation.models import CLASSES, TERRITORY_LEVELS, UNIT_KINDS, UNIT_LEVELS, Territory
from app.timelimits import calendar as work_calendar
from app.timelimits import limits, overrides
from app.timelimits.models import COMPLEXITIES, LIMIT_UNITS, REQUEST_TYPES
from app.timelimits.models import LEVELS as LIMIT_LEVELS
from app.timelimits.reapply import reapply, waiting_deadline_timers
from app.web import labels
from app.web.cases import page_number
from app.web.security import current_user, login_required

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
    """Run a create service function in one transaction, as the signed-in administrator (the
    audit's actor). Returns (created row, None) or (None, (field errors, HTTP status)) when the
    service refused the input."""
    try:
        with transaction():
            return create(**arguments, actor=current_user()), None
    except (InvalidData, Duplicate) as refused:
        return None, (refused.errors or {"form": [refused.message]}, refused.status)


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _calendar_warning() -> dict:
    """Template values of admin/_calendar_warning.html. The function is looked up on the calendar
    module at call time (tests monkeypatch calendar.next_year_unconfirmed)."""
    today = local_today()
    return {"calendar_unconfirmed": work_calendar.next_year_unconfirmed(today), "next_year": today.year + 1}


@bp.get("")
@login_required("admin:manage")
def index():
    return render_template("admin/index.html", **_calendar_warning())


def _create_and_list(*, fields: tuple[str, ...], create, arguments, created, template: str, list_rows,
                     **context):
    """The shape of the simple admin pages: a POST runs `create` with `arguments(form)` and
    redirects with a message, or shows the form again with the refusal; a GET (and a refused
    POST) lists a page of rows from `list_rows(paging)`."""
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = _form(*fields)
        row, refused = _create(create, **arguments(form))
        if refused is None:
            flash(created(row), "success")
            return redirect(request.full_path if request.query_string else request.path)
        errors, status = refused
    paging = _paging()
    return render_template(template, listing=_page_of(list_rows(paging), paging), form=form,
                           errors=errors, **context), status


def _listed(list_function, **filters):
    return lambda paging: list_function(limit=paging["limit"], offset=paging["offset"], **filters)


@bp.route("/territories", methods=["GET", "POST"])
@login_required("admin:manage")
def territories():
    return _create_and_list(
        fields=("code", "name", "level", "parent_code"), create=service.create_territory,
        arguments=lambda f: {**f, "parent_code": f["parent_code"] or None},
        created=lambda row: _("Territory %(code)s %(name)s created.", code=row.code, name=row.name),
        template="admin/territories.html",
        list_rows=_listed(service.list_territories),
        levels=labels.choices(TERRITORY_LEVELS, labels.LEVELS))


# --- territory QR codes (R4 "码上反映") ----------------------------------------------------------

QR_KINDS = {"png": "image/png", "svg": "image/svg+xml"}


def _territory_or_404(code: str) -> Territory:
    territory = db.session.scalar(select(Territory).where(Territory.code == code))
    if territory is None:
        abort(404)
    return territory


def _report_url(territory: Territory) -> str:
    """The public submit page for the territory, on PUBLIC_BASE_URL or else the host in use."""
    return qrcodes.report_url(territory, current_app.config.get("PUBLIC_BASE_URL") or request.host_url)


def _qr_download(code: str, kind: str) -> Response:
    territory = _territory_or_404(code)
    url = _report_url(territory)
    data = qrcodes.qr_png(url) if kind == "png" else qrcodes.qr_svg(url, title=f"{territory.name} – {url}")
    # territory codes are letters, digits, ".", "_" and "-" (service.CODE_PATTERN): safe in the quotes
    name = f"huiyin-{code}.{kind}" if service.CODE_PATTERN.fullmatch(code) else f"huiyin.{kind}"
    return Response(data, mimetype=QR_KINDS[kind],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.get("/territories/<code>/qr.png")
@login_required("admin:manage")
def territory_qr_png(code: str):
    return _qr_download(code, "png")


@bp.get("/territories/<code>/qr.svg")
@login_required("admin:manage")
def territory_qr_svg(code: str):
    return _qr_download(code, "svg")


@bp.get("/territories/<code>/poster")
@login_required("admin:manage")
def territory_poster(code: str):
    """A printable page for the territory's buildings: its name, the QR code and the address."""
    territory = _territory_or_404(code)
    return render_template("admin/territory_poster.html", territory=territory,
                           report_url=_report_url(territory))


@bp.route("/units", methods=["GET", "POST"])
@login_required("admin:manage")
def units():
    return _create_and_list(
        fields=("code", "name", "level", "kind", "territory_code"), create=service.create_unit,
        arguments=lambda f: {**f, "territory_code": f["territory_code"] or None},
        created=lambda row: _("Unit %(code)s %(name)s created.", code=row.code, name=row.name),
        template="admin/units.html",
        list_rows=_listed(service.list_units), levels=labels.choices(UNIT_LEVELS, labels.LEVELS),
        kinds=labels.choices(UNIT_KINDS, labels.UNIT_KINDS))


@bp.route("/categories", methods=["GET", "POST"])
@login_required("admin:manage")
def categories():
    return _create_and_list(
        fields=("code", "name", "class"), create=service.create_category,
        arguments=lambda f: {"code": f["code"], "name": f["name"], "klass": f["class"]},
        created=lambda row: _("Category %(code)s %(name)s created.", code=row.code, name=row.name),
        template="admin/categories.html",
        list_rows=_listed(service.list_categories), classes=labels.choices(CLASSES, labels.CLASSES))


@bp.route("/routing", methods=["GET", "POST"])
@login_required("admin:manage")
def routing():
    filters = {"territory_code": request.args.get("territory_code", "").strip()[:MAX_FIELD],
               "level": request.args.get("level", "").strip()[:MAX_FIELD]}
    return _create_and_list(
        fields=("territory_code", "level", "category_code", "unit_code"),
        create=service.create_routing_rule,
        arguments=lambda f: {**f, "category_code": f["category_code"] or None},
        created=lambda row: _("Routing rule created: %(territory)s %(level)s → %(unit)s",
                              territory=row["territory_code"], level=row["level"], unit=row["unit_code"]),
        template="admin/routing.html",
        list_rows=_listed(service.list_routing_rules, territory_code=filters["territory_code"] or None,
                          level=filters["level"] or None),
        filters=filters, levels=labels.choices(UNIT_LEVELS, labels.LEVELS))


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
                           roles=labels.role_choices(), created=created,
                           generated_password=generated), status


def _user_or_404(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        abort(404)
    return user


def _user_page(username: str, errors: dict | None = None, form: dict | None = None,
               generated_password: str | None = None, status: int = 200):
    user = _user_or_404(username)
    memberships = sorted(user.memberships, key=lambda m: (m.unit.code, m.role))
    return render_template("admin/user.html", user=user, memberships=memberships,
                           sessions=sessions.active(user.id), current=set(), errors=errors or {},
                           form=form or {}, roles=labels.role_choices(),
                           generated_password=generated_password), status


def _change_user(username: str, changes: dict, done: str, form: dict | None = None):
    """Apply `changes` with service.update_user; on refusal show the page again with the reasons."""
    try:
        with transaction():
            service.update_user(username, changes, actor=current_user())
    except InvalidData as refused:
        return _user_page(username, errors=refused.errors, form=form, status=422)
    flash(done, "success")
    return redirect(url_for(".user_page", username=username))


@bp.get("/users/<username>")
@login_required("admin:manage")
def user_page(username: str):
    """One user: roles, status, live sessions, and the actions that end them."""
    return _user_page(username)


@bp.post("/users/<username>/active")
@login_required("admin:manage")
def user_active(username: str):
    """Deactivating signs the user out everywhere; the last active administrator cannot be."""
    active = request.form.get("active") == "1"
    done = (_("User %(username)s reactivated.", username=username) if active else
            _("User %(username)s deactivated and signed out everywhere.", username=username))
    return _change_user(username, {"active": active}, done)


@bp.post("/users/<username>/memberships")
@login_required("admin:manage")
def user_memberships(username: str):
    """Add or remove one (unit, role) of the user; the service checks the whole new set."""
    user = _user_or_404(username)
    form = _form("action", "unit_code", "role")
    current = [{"unit_code": m.unit.code, "role": m.role} for m in user.memberships]
    chosen = {"unit_code": form["unit_code"], "role": form["role"]}
    if form["action"] == "remove":
        wanted, done = [m for m in current if m != chosen], _("Role removed.")
    else:
        wanted, done = [*current, chosen], _("Role added.")
    return _change_user(username, {"memberships": wanted}, done, form=form)


@bp.post("/users/<username>/reset-password")
@login_required("admin:manage")
def user_reset_password(username: str):
    """A generated password, shown on this answer only (never flashed into the session cookie)."""
    with transaction():
        _, generated = service.reset_password(username, actor=current_user())
    return _user_page(username, generated_password=generated)


@bp.post("/users/<username>/sign-out")
@login_required("admin:manage")
def user_sign_out(username: str):
    with transaction():
        ended = service.sign_out_everywhere(username, actor=current_user())
    flash(_("Signed out everywhere (web sessions ended: %(sessions)d; API tokens revoked: %(tokens)d).",
            sessions=ended["sessions"], tokens=ended["tokens"]), "success")
    return redirect(url_for(".user_page", username=username))


# --- import ------------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@login_required("admin:manage")
def import_file():
    """All or nothing (app/accounts/importing.py): a refused file shows every bad row (422)."""
    kind, errors, report, status = request.form.get("kind", ""), {}, None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        if kind not in IMPORTERS:
            errors["kind"] = [_("Choose what to import.")]
        if upload is None or not upload.filename:
            errors["file"] = [_("Choose a CSV or XLSX file.")]
        data = upload.read(MAX_FILE_BYTES + 1) if not errors else b""
        if len(data) > MAX_FILE_BYTES:
            megabytes = MAX_FILE_BYTES // 2**20
            errors["file"] = [_("The file may be at most %(megabytes)d MB.", megabytes=megabytes)]
        if errors:
            status = 413 if len(data) > MAX_FILE_BYTES else 422
        else:
            report = IMPORTERS[kind](data, actor=current_user())
            status = 200 if report.ok else 422
    return render_template("admin/import.html", kinds=labels.choices(IMPORTERS, labels.IMPORT_KINDS),
                           columns=COLUMNS, kind=kind, errors=errors, report=report), status


# --- time limits -------------------------------------------------------------------------------

LIMIT_FORM = ("phase", *limits.DIMENSIONS, "amount", "unit")
CHANGES_SHOWN = 100


def _number(text: str):
    """The number typed into a form, or the text itself (the service then says "must be a number")."""
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _row_errors(refused: InvalidData, prefix: str) -> dict[str, list[str]]:
    """"limits.0.amount" -> "amount"; a problem of the whole row goes under "form"."""
    errors: dict[str, list[str]] = {}
    for key, messages in (refused.errors or {"form": [refused.message]}).items():
        name = key[len(prefix):].lstrip(".") if key.startswith(prefix) else key
        errors.setdefault(name or "form", []).extend([messages] if isinstance(messages, str) else messages)
    return errors


def _limit_form_of(row) -> dict[str, str]:
    values = limits.as_dict(row)
    form = {name: values[name] or "" for name in ("phase", *limits.DIMENSIONS, "unit")}
    return {**form, "amount": f"{row.amount:g}", "auto_escalate": row.auto_escalate}


def _time_limits_page(form: dict | None = None, errors: dict | None = None, share: str | None = None,
                      share_errors: dict | None = None, reapply_errors: dict | None = None,
                      status: int = 200):
    changes = limits.list_changes(limit=CHANGES_SHOWN)
    user_ids = {c.user_id for c in changes if c.user_id is not None}
    users = ({row.id: row for row in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
             if user_ids else {})
    if form is None:
        edit = request.args.get("edit", type=int)
        row = next((r for r in limits.all_limits() if r.id == edit), None) if edit else None
        form = _limit_form_of(row) if row else {"unit": "working_days"}
    share = share if share is not None else f"{limits.yellow_share():g}"
    changed = request.args.get("changed")
    changed = changed if changed in limits.phase_codes() else None
    return render_template(
        "admin/time_limits.html", rows=limits.all_limits(), changes=changes, users=users, form=form,
        errors=errors or {}, share=share, share_errors=share_errors or {},
        reapply_errors=reapply_errors or {}, changed=changed,
        running=len(waiting_deadline_timers(changed)) if changed else None,
        phases=labels.phase_choices(),
        request_types=labels.choices(REQUEST_TYPES, labels.REQUEST_TYPES),
        classes=labels.choices(CLASSES, labels.CLASSES),
        complexities=labels.choices(COMPLEXITIES, labels.COMPLEXITIES),
        levels=labels.choices(LIMIT_LEVELS, labels.LEVELS),
        units=labels.choices(LIMIT_UNITS, labels.LIMIT_UNITS)), status


@bp.route("/time-limits", methods=["GET", "POST"])
@login_required("admin:manage")
def time_limits():
    """One form creates or changes one row (matched on phase and the four dimensions, "" = any)."""
    if request.method == "GET":
        return _time_limits_page()
    form = {**_form(*LIMIT_FORM), "auto_escalate": request.form.get("auto_escalate") == "on"}
    row = {"phase": form["phase"], **{d: form[d] or None for d in limits.DIMENSIONS},
           "amount": _number(form["amount"]), "unit": form["unit"], "auto_escalate": form["auto_escalate"]}
    try:
        with transaction():
            changed = limits.update_limits([row], current_user())
    except InvalidData as refused:
        return _time_limits_page(form=form, errors=_row_errors(refused, "limits.0"), status=422)
    if not changed:
        flash(_("The time limit has not changed."), "success")
        return redirect(url_for(".time_limits"))
    flash(_("Time limit saved: %(phase)s %(amount)s %(unit)s",
            phase=labels.phase_label(row["phase"]), amount=f"{row['amount']:g}",
            unit=labels.label(row["unit"], labels.LIMIT_UNITS)), "success")
    return redirect(url_for(".time_limits", changed=row["phase"], _anchor="reapply-heading"))


@bp.post("/time-limits/reapply")
@login_required("admin:manage")
def reapply_limits():
    """Move the waiting deadlines of running cases of one phase to the current limits (the same
    service as the API's POST /time-limits/reapply)."""
    phase = request.form.get("phase", "").strip()[:MAX_FIELD]
    if phase not in limits.phase_codes():
        return _time_limits_page(reapply_errors={"phase": [_("Choose a phase.")]}, status=422)
    result = reapply(phase, actor_id=current_user().id)
    flash(_("Re-applied %(phase)s: %(moved)d deadlines of running cases moved.",
            phase=labels.phase_label(phase), moved=result["moved"]), "success")
    if result["conflicts"]:
        flash(_("%(count)d cases changed meanwhile and kept their deadlines: re-apply again.",
                count=result["conflicts"]), "error")
    return redirect(url_for(".time_limits"))


@bp.post("/time-limits/yellow-share")
@login_required("admin:manage")
def yellow_share():
    typed = request.form.get("yellow_share", "").strip()[:MAX_FIELD]
    try:
        with transaction():
            value = limits.set_yellow_share(_number(typed), current_user())
    except InvalidData as refused:
        errors = {"yellow_share": refused.errors.get("value") or [refused.message]}
        return _time_limits_page(share=typed, share_errors=errors, status=422)
    flash(_("Yellow-light share set to %(value)s.", value=f"{value:g}"), "success")
    return redirect(url_for(".time_limits"))


# --- phases and roles --------------------------------------------------------------------------

PHASE_FORM = ("code", "name_zh", "name_en", "amount", "unit")
ROLE_FORM = ("code", "name_zh", "name_en", "scope")


def _phases_roles_page(phase_form: dict | None = None, phase_errors: dict | None = None,
                       role_form: dict | None = None, role_errors: dict | None = None, status: int = 200):
    return render_template(
        "admin/phases_roles.html", phases=limits.all_phases(), roles=roles.all_roles(),
        phase_form=phase_form or {"unit": "working_days"}, phase_errors=phase_errors or {},
        role_form=role_form or {"scope": "unit"}, role_errors=role_errors or {},
        units=labels.choices(LIMIT_UNITS, labels.LIMIT_UNITS),
        scopes=[(scope, labels.label(scope, labels.ROLE_SCOPES)) for scope in roles.SCOPES]), status


@bp.get("/phases-roles")
@login_required("admin:manage")
def phases_roles():
    """Phases (each with its general time limit) and roles (each with the scope its holders see):
    what BPMN files name in deadline('<phase>') and candidateGroups."""
    return _phases_roles_page()


@bp.post("/phases")
@login_required("admin:manage")
def add_phase():
    form = _form(*PHASE_FORM)
    phase = {name: form[name] for name in ("code", "name_zh", "name_en")}
    try:
        with transaction():
            limits.add_phase(phase, {"amount": _number(form["amount"]), "unit": form["unit"]}, current_user())
    except InvalidData as refused:
        return _phases_roles_page(phase_form=form, phase_errors=_row_errors(refused, "limit"), status=422)
    flash(_("Phase %(code)s created with its time limit.", code=form["code"]), "success")
    return redirect(url_for(".phases_roles"))


@bp.post("/roles")
@login_required("admin:manage")
def add_role():
    form = _form(*ROLE_FORM)
    try:
        with transaction():
            roles.add_role(form, current_user())
    except InvalidData as refused:
        return _phases_roles_page(role_form=form, role_errors=_row_errors(refused, ""), status=422)
    flash(_("Role %(code)s created.", code=form["code"]), "success")
    return redirect(url_for(".phases_roles"))


# --- working-day calendar ----------------------------------------------------------------------

#: The service's refusals in the page's language (the rules themselves are in app/timelimits).
_OVERRIDE_MESSAGES = {"day": lambda: _("Enter a date as YYYY-MM-DD."),
                      "to": lambda: _("Enter a last date on or after the first, at most %(max)d days in all "
                                      "(or leave it empty for one date).", max=overrides.RANGE_MAX_DAYS),
                      "kind": lambda: _("Choose holiday or working day."),
                      "note": lambda: _("At most %(max)d characters.", max=overrides.NOTE_MAX)}
#: The holidays library's language for the page's locale (holiday names).
_HOLIDAY_LANGUAGES = {"zh_CN": "zh_CN", "en": "en_US"}
DEADLINE_FORM = ("from", "amount", "unit")


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year is not None and work_calendar.YEAR_MIN <= year <= work_calendar.YEAR_MAX \
        else local_today().year


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _save_override(form: dict[str, str]) -> tuple[list[date], dict[str, list[str]]]:
    """Save the form's override for a date or a range ("to" empty: the one date): (the first and
    last date, {}), or ([], every problem in the page's language)."""
    first = _date(form["day"])
    last = _date(form["to"]) if form["to"] else first
    found = {("day" if field == "from" else field): problems
             for field, problems in overrides.range_problems(first, last, form["kind"], form["note"]).items()}
    if first is None:
        found.setdefault("day", [])
    if form["to"] and last is None:
        found.setdefault("to", [])
    if found:
        return [], {field: [_OVERRIDE_MESSAGES[field]()] for field in found}
    with transaction():
        overrides.set_range(first, last, form["kind"], form["note"], current_user())
    return [first, last], {}


def _check_deadline() -> tuple[dict, datetime | None, dict]:
    """The deadline checker (a GET form): (form, deadline in TIMEZONE or None, errors)."""
    form = {name: request.args.get(name, "").strip()[:MAX_FIELD] for name in DEADLINE_FORM}
    if not any(form.values()):
        return {"unit": "working_days"}, None, {}
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    try:
        start = datetime.fromisoformat(form["from"])
        start = start if start.tzinfo else start.replace(tzinfo=zone)
    except ValueError:
        start = None
    errors = {}
    if start is None or not work_calendar.YEAR_MIN <= start.year <= work_calendar.YEAR_MAX:
        errors["from"] = [_("Enter a date and time, e.g. 2026-09-30 10:00.")]
    amount = _number(form["amount"])
    errors.update(limits.limit_problems(amount, form["unit"]))
    if errors:
        return form, None, errors
    deadline = limits.trial_deadline(to_naive_utc(start), amount, form["unit"])
    return form, deadline.replace(tzinfo=UTC).astimezone(zone), {}


@bp.route("/calendar", methods=["GET", "POST"])
@login_required("admin:manage")
def calendar_overrides():
    """The year's calendar as deadlines count it (official holidays, make-up working days and the
    administrators' overrides), the override form, and a deadline checker."""
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = _form("day", "to", "kind", "note")
        days, errors = _save_override(form)
        if not errors:
            first, last = days
            kind = labels.label(form["kind"], labels.OVERRIDE_KINDS)
            if first == last:
                flash(_("Override saved: %(day)s %(kind)s", day=first.isoformat(), kind=kind), "success")
            else:
                flash(_("Overrides saved: %(first)s to %(last)s (%(count)d days) %(kind)s",
                        first=first.isoformat(), last=last.isoformat(), count=(last - first).days + 1,
                        kind=kind), "success")
            return redirect(url_for(".calendar_overrides", year=first.year))
        status = 422
    year = _year()
    language = _HOLIDAY_LANGUAGES.get(active_locale(), "en_US")
    special = [day for day in work_calendar.year_days(year, language)
               if day.reason not in ("weekday", "weekend")]
    check, deadline, check_errors = _check_deadline()
    official = {day.day: day for day in work_calendar.official_days(year, language)}
    return render_template("admin/calendar.html", year=year, rows=overrides.list_overrides(year),
                           special_days=special, official=official, form=form, errors=errors,
                           range_max=overrides.RANGE_MAX_DAYS,
                           kinds=labels.choices(overrides.KINDS, labels.OVERRIDE_KINDS), check=check,
                           deadline=deadline, check_errors=check_errors,
                           units=labels.choices(LIMIT_UNITS, labels.LIMIT_UNITS),
                           **_calendar_warning()), 422 if check_errors else status


@bp.post("/calendar/delete")
@login_required("admin:manage")
def delete_override():
    try:
        day = date.fromisoformat(request.form.get("day", "").strip()[:20])
        with transaction():
            overrides.delete_override(day, current_user())
    except (ValueError, NotFound):
        abort(404)
    flash(_("Override for %(day)s deleted.", day=day.isoformat()), "success")
    return redirect(url_for(".calendar_overrides", year=day.year))


# --- channel API keys (R4) ---------------------------------------------------------------------

KEY_FORM = ("channel", "name", "territory_code", "webhook_url")


@bp.route("/channel-keys", methods=["GET", "POST"])
@login_required("admin:manage")
def channel_keys():
    """Keys of the other systems that deliver requests; an issued key (and its webhook's signing
    secret) is shown on the answer to the POST only, never again (the page is not cached)."""
    form, errors, status, issued, key = {}, {}, 200, None, None
    if request.method == "POST":
        form = _form(*KEY_FORM)
        try:
            with transaction():
                issued, key = keys.issue(form["channel"], form["name"], form["territory_code"] or None,
                                         form["webhook_url"] or None, actor=current_user())
            form = {}
        except InvalidData as refused:
            errors, status = refused.errors, 422
    paging = _paging()
    rows = keys.list_keys(limit=paging["limit"], offset=paging["offset"])
    return render_template("admin/channel_keys.html", listing=_page_of(rows, paging), form=form,
                           errors=errors, issued=issued, key=key), status


@bp.post("/channel-keys/<int:key_id>/revoke")
@login_required("admin:manage")
def revoke_channel_key(key_id: int):
    try:
        with transaction():
            row = keys.revoke(key_id, actor=current_user())
    except NotFound:
        abort(404)
    flash(_("Key %(id)s of %(channel)s revoked: it no longer works.", id=row.id, channel=row.channel),
          "success")
    return redirect(url_for(".channel_keys"))


# --- audit of administrators' changes ------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


def _audit_filters() -> tuple[dict, dict, dict]:
    """(form values, service arguments, errors) from the query string."""
    form = {name: request.args.get(name, "").strip()[:MAX_FIELD] for name in ("entity", "user", "from", "to")}
    arguments, errors = {"entity": form["entity"] or None, "username": form["user"] or None}, {}
    for name, argument in (("from", "first"), ("to", "last")):
        try:
            arguments[argument] = date.fromisoformat(form[name]) if form[name] else None
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD.")]
    return form, arguments, errors


@bp.get("/audit")
@login_required("admin:manage")
def audit_log():
    """Every administrator's change, newest first, with what it was before and after."""
    form, arguments, errors = _audit_filters()
    page, rows = page_number(), []
    if not errors:
        try:
            rows = audit.changes(**arguments, zone=ZoneInfo(current_app.config["TIMEZONE"]),
                                 limit=AUDIT_PAGE_SIZE + 1, offset=(page - 1) * AUDIT_PAGE_SIZE)
        except InvalidData as refused:
            errors = refused.errors
    shown = [(row, audit_lines(row)) for row in rows[:AUDIT_PAGE_SIZE]]
    page_html = render_template(
        "admin/audit.html", rows=shown, page=page, has_next=len(rows) > AUDIT_PAGE_SIZE, form=form,
        filters={name: value for name, value in form.items() if value}, errors=errors,
        entities=labels.choices(audit.ENTITIES, labels.AUDIT_ENTITIES))
    return page_html, 422 if errors else 200


def audit_lines(change) -> list[tuple[str, str, str]]:
    """(field, old, new) for each field that differs between the snapshots, as text."""
    old, new = change.old or {}, change.new or {}
    return [(name, _shown(old.get(name)), _shown(new.get(name)))
            for name in dict.fromkeys([*old, *new]) if old.get(name) != new.get(name)]


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):  # memberships, or working-hours intervals [["08:30", "12:00"], ...]
        return ", ".join("–".join(map(str, item)) if isinstance(item, list) else _shown(item)
                         for item in value) or "—"
    return str(value)

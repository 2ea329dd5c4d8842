"""The process designer's workbench (/designer): processes and their versions with the open cases
on each, a version's diagram with where its open cases wait (heatmap), download, a visual diff of
two versions, the bpmn-js Modeler with the Camunda properties panel and the form-js editor, the
pickers, validate (dry run) and deploy, the release pointer and the migration of running cases.

Reading needs `workflow:read`, changing `workflow:deploy` (app/api/security.py). Process versions
are city-wide, not per territory, and the heatmap shows counts only, so no jurisdiction filter
applies. The pages call the same services as the JSON API (repository, validation, migration) and
app/engine/workbench.py for the workbench's own parts.
"""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.engine import migration, repository, validation, workbench
from app.engine.errors import EngineError, NotFound
from app.engine.transaction import transaction
from app.web.security import current_user, login_required, safe_next

bp = Blueprint("web_designer", __name__, url_prefix="/designer")

MAX_BUNDLE_BYTES = 5 * 1024 * 1024
MAX_FORMS = 200


@bp.get("/")
@login_required("workflow:read")
def index():
    return render_template("designer/index.html", processes=repository.processes_overview())


@bp.get("/catalogue.json")
@login_required("workflow:read")
def catalogue():
    return jsonify(validation.catalogue())


@bp.get("/<process_id>/v<int:number>")
@login_required("workflow:read")
def version_page(process_id: str, number: int):
    definition = repository.get_version(process_id, number)
    return render_template("designer/version.html", definition=definition,
                           forms=sorted(repository.bundle_forms(definition.id)),
                           processes=repository.processes_overview())


@bp.get("/<process_id>/v<int:number>/bundle.json")
@login_required("workflow:read")
def bundle(process_id: str, number: int):
    """The version's BPMN, its forms and the open tasks per element, for the diagram scripts."""
    definition = repository.get_version(process_id, number)
    return jsonify({"process_id": definition.process_id, "version": definition.version,
                    "filename": definition.filename, "xml": definition.bpmn_xml,
                    "forms": repository.bundle_forms(definition.id),
                    "waiting": workbench.waiting_counts(definition.id)})


@bp.get("/<process_id>/v<int:number>/bpmn")
@login_required("workflow:read")
def download(process_id: str, number: int):
    return workbench.bpmn_download(repository.get_version(process_id, number))


@bp.get("/<process_id>/diff")
@login_required("workflow:read")
def diff(process_id: str):
    """Two versions side by side, added, removed and changed elements coloured (in the browser)."""
    old, new = request.args.get("a", type=int), request.args.get("b", type=int)
    if old is None or new is None:
        return render_template("designer/diff_choose.html", process_id=process_id,
                               process=_process(process_id)), 400 if request.args else 200
    return render_template("designer/diff.html", old=repository.get_version(process_id, old),
                           new=repository.get_version(process_id, new))


@bp.get("/<process_id>/v<int:number>/edit")
@login_required("workflow:deploy")
def editor(process_id: str, number: int):
    """The Modeler starts from this version; what it deploys becomes a new version."""
    return render_template("designer/editor.html", definition=repository.get_version(process_id, number))


def _bundle_from_request() -> tuple[bytes, str, dict[str, bytes]] | str:
    """The edited bundle posted by the editor as JSON: {filename, bpmn, forms: {form id: JSON}},
    or the reason it is unusable."""
    if (request.content_length or 0) > MAX_BUNDLE_BYTES:
        return _("The bundle may be at most %(n)s bytes.", n=MAX_BUNDLE_BYTES)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _("The request body must be a JSON object.")
    bpmn, filename, forms = body.get("bpmn"), body.get("filename") or "process.bpmn", body.get("forms") or {}
    if not isinstance(bpmn, str) or not bpmn.strip():
        return _("bpmn: the BPMN XML is missing.")
    if not isinstance(filename, str) or len(filename) > 255 or "/" in filename or "\\" in filename:
        return _("filename: a file name without a directory, at most 255 characters.")
    if (not isinstance(forms, dict) or len(forms) > MAX_FORMS
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in forms.items())):
        return _("forms: an object of form id to form JSON text, at most %(n)s forms.", n=MAX_FORMS)
    files = {f"{key}.form": text.encode("utf-8") for key, text in forms.items()}
    return bpmn.encode("utf-8"), filename, files


def _submit(dry_run: bool):
    parsed = _bundle_from_request()
    if isinstance(parsed, str):
        problem = {"element_id": None, "message": parsed}
        return jsonify({"ok": False, "dry_run": dry_run, "problems": [problem]}), 422
    bpmn, filename, forms = parsed
    with transaction():
        answer = workbench.submit(bpmn, filename, forms, current_user().id, dry_run=dry_run)
    return jsonify(answer), (200 if answer["ok"] else 422)


@bp.post("/check")
@login_required("workflow:deploy")
def check():
    """Validate only: every problem of the edited bundle, nothing written."""
    return _submit(dry_run=True)


@bp.post("/deploy")
@login_required("workflow:deploy")
def deploy():
    return _submit(dry_run=False)


@bp.post("/<process_id>/release")
@login_required("workflow:deploy")
def release(process_id: str):
    """Point new cases at another version (rolling back is pointing at an older one)."""
    number = request.form.get("version", type=int)
    if number is None:
        flash(_("version: choose a version number."), "error")
    else:
        try:
            with transaction():
                repository.set_release(process_id, number, current_user().id)
            flash(_("New cases of %(process)s now start on version %(version)s.",
                    process=process_id, version=number), "success")
        except EngineError as refused:
            flash(refused.message, "error")
    return redirect(url_for(".index"))


@bp.route("/<process_id>/v<int:number>/migrate", methods=["GET", "POST"])
@login_required("workflow:deploy")
def migrate(process_id: str, number: int):
    """Preview of the running cases on older versions, then (dry) migration of the chosen ones."""
    target = repository.get_version(process_id, number)
    report, refusal = None, None
    try:
        if request.method == "POST":
            chosen = [int(v) for v in request.form.getlist("instance") if v.isdigit()]
            if not chosen:
                refusal = _("instance: choose at least one case to migrate.")
            else:
                dry_run = request.form.get("dry_run") == "1"
                with transaction():
                    report = workbench.as_dict(migration.migrate(target.id, chosen, current_user().id,
                                                                 dry_run=dry_run))
    except EngineError as refused:
        refusal = refused.message
    try:
        rows = [workbench.as_dict(row) for row in migration.preview(target.id)]
    except EngineError as refused:
        rows, refusal = [], refusal or refused.message
    return render_template("designer/migrate.html", target=target, rows=rows, report=report,
                           refusal=refusal), (422 if refusal and request.method == "POST" else 200)


@bp.post("/migrations/<int:migration_id>/revert")
@login_required("workflow:deploy")
def revert(migration_id: int):
    try:
        with transaction():
            migration.revert(migration_id, current_user().id)
        flash(_("Migration %(id)s reverted.", id=migration_id), "success")
    except EngineError as refused:
        flash(refused.message, "error")
    return redirect(safe_next(request.form.get("back")) or url_for(".index"))


def _process(process_id: str) -> dict:
    for process in repository.processes_overview():
        if process["process_id"] == process_id:
            return process
    raise NotFound(f"process '{process_id}' does not exist")

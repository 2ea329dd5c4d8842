"""Administration of processes (permission "admin:manage"): the deployed processes with the
version new cases start on (the release, which an administrator may point at an older version to
roll back), and which process a request type and class start on.

Forms call the same service as the API (app/engine/repository.py), as the signed-in
administrator (the audit's actor); a refused choice is shown again with the per-field messages.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.engine import repository
from app.engine.errors import InvalidData, NotFound
from app.engine.transaction import transaction
from app.organisation.models import CLASSES
from app.timelimits.models import REQUEST_TYPES
from app.web import labels
from app.web.security import current_user, login_required

bp = Blueprint("web_processes", __name__, url_prefix="/admin/processes")

_FIELDS = ("request_type", "klass", "process_id")


def _page(form: dict | None = None, errors: dict | None = None, status: int = 200,
          release_errors: dict | None = None):
    processes = repository.processes_overview()
    return render_template(
        "admin/processes.html", processes=processes, choices=repository.process_choices(),
        process_options=[(p["process_id"], labels.task_name(p["name"])) for p in processes],
        request_types=labels.choices(REQUEST_TYPES, labels.REQUEST_TYPES),
        classes=labels.choices(CLASSES, labels.CLASSES), form=form or {}, errors=errors or {},
        release_errors=release_errors or {}), status


@bp.route("", methods=["GET", "POST"])
@login_required("admin:manage")
def processes():
    if request.method == "GET":
        return _page()
    form = {name: request.form.get(name, "").strip()[:200] for name in _FIELDS}
    try:
        with transaction():
            repository.set_process_choice(form["request_type"], form["klass"] or None, form["process_id"],
                                          current_user())
    except InvalidData as refused:
        return _page(form, refused.errors, 422)
    flash(_("New cases of this request type now start on process %(process)s.", process=form["process_id"]),
          "success")
    return redirect(url_for("web_processes.processes"))


@bp.post("/<process_id>/release")
@login_required("admin:manage")
def release(process_id: str):
    version = request.form.get("version", "").strip()
    try:
        with transaction():
            repository.set_release(process_id, int(version), current_user().id)
    except ValueError:
        return _page(release_errors={"version": [_("Choose a version.")]}, status=422)
    except NotFound:
        abort(404)
    flash(_("New cases of process %(process)s now start on version %(version)s.", process=process_id,
            version=version), "success")
    return redirect(url_for("web_processes.processes"))


@bp.post("/choices/delete")
@login_required("admin:manage")
def delete_choice():
    try:
        with transaction():
            repository.delete_process_choice(request.form.get("request_type", ""),
                                             request.form.get("klass") or None, current_user())
    except (InvalidData, NotFound):
        abort(404)
    flash(_("The choice was removed; those cases start on the default process again."), "success")
    return redirect(url_for("web_processes.processes"))

"""Camunda Forms (form-js JSON) for user tasks, enforced on the server.

Process designers keep one `forms/<id>.form` file per form (written with the Camunda Modeler
form editor or by hand); a BPMN user task names it with `camunda:formRef="<id>"`. The browser
renders the same file with the vendored form-js viewer, but its checks can be bypassed, so the
server validates every task submission against the form before the process sees it:

- `registry` loads and checks the files (`get(form_id)`, cached per process); a file the server
  could not enforce faithfully is refused with `FormError` when it loads;
- `validation.validate(form, data, context)` returns the accepted data (only the form's visible
  fields, cleaned) or raises `app.engine.errors.InvalidData` with errors per field;
- `feel` evaluates the small FEEL subset allowed in `conditional.hide`.
"""
from app.forms.registry import FormError, get
from app.forms.validation import validate

__all__ = ["FormError", "get", "validate"]

"""Camunda Forms (form-js JSON) for user tasks, enforced on the server.

Process designers keep one `<id>.form` file per form (written with the form editor or by hand)
and deploy it together with the BPMN whose user task names it with `camunda:formRef="<id>"`. The browser
renders the same file with the vendored form-js viewer, but its checks can be bypassed, so the
server validates every task submission against the form before the process sees it:

- `registry` loads and checks the files; a file the server could not enforce faithfully is
  refused with `FormError` when it loads. A deployed version keeps its forms in the database
  (its bundle): `for_definition(definition_id, form_id)` is the form a task of that version uses,
  parsed once per version; `get(form_id)` reads forms/ on disk, only for deploying workflows/;
- `validation.validate(form, data, context)` returns the accepted data (only the form's visible
  fields, cleaned) or raises `app.engine.errors.InvalidData` with errors per field;
- `texts.translate(schema)` is the schema in the request's language (designers write English;
  `texts.extract` puts the texts into the catalogue);
- `feel` evaluates the small FEEL subset allowed in `conditional.hide`.
"""
from app.forms.registry import FormError, for_definition, get, load_source
from app.forms.texts import translate
from app.forms.validation import validate

__all__ = ["FormError", "for_definition", "get", "load_source", "translate", "validate"]

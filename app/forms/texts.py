"""The texts a form shows (labels, descriptions, option labels, text blocks, pattern messages):
designers write them once, in English, in forms/*.form; `pybabel extract` collects them with
`extract` (babel.cfg) and the form viewer gets them in the request's language from `translate`.

Translating happens when a page is rendered, never in the stored form: a deployed version keeps
its English source, and a new translation shows on running tasks at once.
"""
import copy
import json
from collections.abc import Callable, Iterator

from flask_babel import gettext

#: the keys of a component whose value is text for people (form-js 1.x schema)
TEXT_KEYS = ("label", "description", "text", "placeholder")
VALIDATE_TEXT_KEYS = ("patternErrorMessage",)


def _slots(component: dict) -> Iterator[tuple[dict, str]]:
    """(holder, key) of every text of a component and of the components inside it."""
    for key in TEXT_KEYS:
        if isinstance(component.get(key), str) and component[key].strip():
            yield component, key
    validate = component.get("validate")
    if isinstance(validate, dict):
        for key in VALIDATE_TEXT_KEYS:
            if isinstance(validate.get(key), str) and validate[key].strip():
                yield validate, key
    for option in component.get("values") or ():
        if isinstance(option, dict) and isinstance(option.get("label"), str) and option["label"].strip():
            yield option, "label"
    for child in component.get("components") or ():
        if isinstance(child, dict):
            yield from _slots(child)


def _each_text(schema: dict) -> Iterator[tuple[dict, str]]:
    for component in schema.get("components") or ():
        if isinstance(component, dict):
            yield from _slots(component)


def texts(schema: dict) -> list[str]:
    """Every text of a form-js schema, in document order."""
    return [holder[key] for holder, key in _each_text(schema)]


def translate(schema: dict, translation: Callable[[str], str] = gettext) -> dict:
    """A copy of a form-js schema with every text in the request's language."""
    schema = copy.deepcopy(schema)
    for holder, key in _each_text(schema):
        holder[key] = translation(holder[key])
    return schema


def option_label(form, key: str, value) -> str | None:
    """The translated label of one option of a form's field (a stored value shown to people,
    e.g. an action on the timeline), or None when the form has no such option."""
    field = form.field(key) if form is not None else None
    label = dict(field.option_labels or ()).get(value) if field is not None else None
    return gettext(label) if label else None


def extract(fileobj, keywords, comment_tags, options):
    """Babel extraction method for forms/*.form (babel.cfg): yields each text as a gettext call.

    JSON has no line numbers once parsed, so each text is given the line where it first occurs."""
    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    try:
        schema = json.loads(source)
    except json.JSONDecodeError:
        return
    for holder, key in _each_text(schema):
        text = holder[key]
        quoted = json.dumps(text, ensure_ascii=False)
        lineno = next((i for i, line in enumerate(lines, 1) if quoted in line), 1)
        yield lineno, "gettext", text, []

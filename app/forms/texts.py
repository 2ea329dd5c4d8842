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

from app.i18n import N_

#: the keys of a component whose value is text for people (form-js 1.x schema)
TEXT_KEYS = ("label", "description", "text", "placeholder")
VALIDATE_TEXT_KEYS = ("patternErrorMessage",)


#: form-js 1.23's own validation messages (its Validator, in English only; `{n}` stands for the
#: number or pattern it puts in) and ours in the catalogue. task-form.js swaps them as the
#: viewer's validator returns them (a decorated `validator` service, not a change of the page).
VIEWER_MESSAGES = (
    ("Field is required.", N_("This field is required.")),
    ("Field must have minimum length of {n}.", N_("At least %(n)s characters.")),
    ("Field must have maximum length of {n}.", N_("At most %(n)s characters.")),
    ("Field must have minimum value of {n}.", N_("At least %(n)s.")),
    ("Field must have maximum value of {n}.", N_("At most %(n)s.")),
    ("Field must match pattern {n}.", N_("Does not have the expected form (%(n)s).")),
    ("Field must be a valid  international phone number. (e.g. +4930664040900)",
     N_("Enter a phone number with its country code, e.g. +8613912345678.")),
    ("Field must be a valid email.", N_("Enter an e-mail address.")),
    ("Value is not a number.", N_("Enter a number.")),
    ("Value is expected to be an integer.", N_("Enter a whole number.")),
    ("Value is expected to have at most {n} decimal digit.", N_("At most %(n)s decimal places.")),
    ("Value is expected to have at most {n} decimal digits.", N_("At most %(n)s decimal places.")),
)
#: the texts form-js 1.23 writes into its select and tag list inputs
VIEWER_PLACEHOLDERS = {"select": N_("Please choose"), "search": N_("Search")}


def viewer_texts() -> dict:
    """What the form viewer says by itself, in the request's language, for task-form.js."""
    return {"messages": [[english, gettext(ours, n="{n}")] for english, ours in VIEWER_MESSAGES],
            "placeholders": {key: gettext(text) for key, text in VIEWER_PLACEHOLDERS.items()}}


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

"""Load form-js (Camunda Forms) files into checked, immutable definitions.

A form file is refused when it loads, not when a citizen's request is half-way through its
process: everything the validator relies on (keys, options, patterns, conditions, references)
is checked here, and anything the server could not enforce faithfully is a FormError.
"""
import dataclasses
import json
import re
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from app.engine.models import ProcessForm
from app.extensions import db
from app.forms.feel import Condition, compile_expression

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "forms"

#: Components that write a value under their `key`, and how the validator treats them.
INPUT_TYPES = frozenset({"textfield", "textarea", "number", "checkbox", "select", "radio",
                         "checklist", "taglist", "datetime"})
OPTION_TYPES = frozenset({"select", "radio", "checklist", "taglist"})
LIST_TYPES = frozenset({"checklist", "taglist"})
TEXT_TYPES = frozenset({"textfield", "textarea"})
#: form-js 1.23 components that show things but never write data.
DISPLAY_TYPES = frozenset({"text", "html", "spacer", "separator", "image", "iframe", "button",
                           "table", "documentPreview"})
#: form-js 1.23 components whose data the server cannot check (computed, files, nested lists).
UNSUPPORTED_TYPES = frozenset({"expression", "filepicker", "dynamiclist"})
DATETIME_SUBTYPES = frozenset({"date", "time", "datetime"})
VALIDATION_TYPES = frozenset({"email", "phone"})
#: `properties.references` values: the value is the integer id of a row of that table.
REFERENCES = frozenset({"unit"})
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Scalar = str | int | float | bool


class FormError(ValueError):
    """A form file is unusable; the message names the file and the component."""


@dataclass(frozen=True)
class Field:
    """One input component, with the rules the validator enforces."""

    key: str
    type: str
    id: str
    label: str = ""
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    pattern_message: str | None = None
    validation_type: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    decimal_digits: int | None = None
    increment: Decimal | None = None
    options: tuple[Scalar, ...] | None = None
    option_labels: tuple[tuple[Scalar, str], ...] | None = None
    values_key: str | None = None
    hide: Condition | None = None
    references: str | None = None
    subtype: str | None = None
    disabled: bool = False

    @property
    def is_list(self) -> bool:
        return self.type in LIST_TYPES


@dataclass(frozen=True)
class FormDefinition:
    """A loaded form: its input fields in document order (groups flattened) and the raw JSON."""

    id: str
    filename: str
    fields: tuple[Field, ...]
    schema_version: int | None = None
    source: str = dataclasses.field(default="", repr=False, compare=False)
    _by_key: dict[str, Field] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {f.key: f for f in self.fields})

    def field(self, key: str) -> Field | None:
        return self._by_key.get(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    def schema(self) -> dict:
        """A fresh copy of the form-js JSON, e.g. to hand to the form viewer."""
        return json.loads(self.source)


def load_file(path: str | Path) -> FormDefinition:
    """Read and check one .form file; FormError says what is wrong and where."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormError(f"{path.name}: not a readable JSON file: {exc}") from exc
    return load_source(source, path.name)


def load_source(source: str, name: str) -> FormDefinition:
    """Check the text of a form file called `name` (uploaded, or stored with a deployed version)."""
    try:
        document = json.loads(source)
    except json.JSONDecodeError as exc:
        raise FormError(f"{name}: not a readable JSON file: {exc}") from exc
    if not isinstance(document, dict):
        raise FormError(f"{name}: the top level must be a JSON object")
    form_id = document.get("id")
    if not isinstance(form_id, str) or not form_id.strip():
        raise FormError(f"{name}: the form has no 'id'")
    components = document.get("components", [])
    if not isinstance(components, list):
        raise FormError(f"{name}: 'components' must be a list")
    version = document.get("schemaVersion")
    loader = _Loader(name)
    loader.walk(components, None)
    return FormDefinition(id=form_id, filename=name, fields=tuple(loader.fields),
                          schema_version=version if isinstance(version, int) else None, source=source)


def load_directory(path: str | Path) -> dict[str, FormDefinition]:
    """Every *.form file of a directory, keyed by form id; two files with one id is an error."""
    path = Path(path)
    if not path.is_dir():
        raise FormError(f"{path}: forms directory not found")
    forms: dict[str, FormDefinition] = {}
    for file in sorted(path.glob("*.form")):
        form = load_file(file)
        if form.id in forms:
            raise FormError(f"{file.name}: form id '{form.id}' is already used by "
                            f"{forms[form.id].filename}")
        forms[form.id] = form
    return forms


_cache: dict[str, dict[str, FormDefinition]] = {}
#: definition id -> its bundle's forms; a deployed version never changes, so neither does this.
_by_definition: dict[int, dict[str, FormDefinition]] = {}
_lock = threading.Lock()


def for_definition(definition_id: int, form_id: str) -> FormDefinition | None:
    """The form `form_id` of one deployed version, as stored with it (parsed once per version).

    A task renders and validates with the form of its own version, whatever later versions did.
    """
    forms = _by_definition.get(definition_id)
    if forms is None:
        rows = db.session.execute(select(ProcessForm.form_id, ProcessForm.filename, ProcessForm.source)
                                  .where(ProcessForm.definition_id == definition_id)).all()
        forms = {row.form_id: load_source(row.source, row.filename) for row in rows}
        with _lock:
            forms = _by_definition.setdefault(definition_id, forms)
    return forms.get(form_id)


def get(form_id: str) -> FormDefinition | None:
    """The form with this id from FORMS_DIR (default: the repository's forms/), loaded once.

    Only deploying from the repository's workflows/ directory reads forms from disk; running tasks
    use `for_definition`."""
    configured = current_app.config.get("FORMS_DIR") if has_app_context() else None
    directory = str(Path(configured or DEFAULT_DIR).resolve())
    with _lock:
        forms = _cache.get(directory)
        if forms is None:
            forms = _cache[directory] = load_directory(directory)
    return forms.get(form_id)


def clear_cache() -> None:
    """Forget loaded forms (tests, or after editing files in a running process)."""
    with _lock:
        _cache.clear()
        _by_definition.clear()


class _Loader:
    """Walks the component tree once, collecting fields and refusing what cannot be enforced."""

    def __init__(self, filename: str):
        self.filename = filename
        self.fields: list[Field] = []
        self.keys: set[str] = set()
        self.ids: set[str] = set()

    def error(self, component: dict, message: str) -> FormError:
        key, cid = component.get("key"), component.get("id")
        where = f"component '{key}'" if key else f"component id '{cid}'" if cid else "a component"
        return FormError(f"{self.filename}: {where}: {message}")

    def walk(self, components: list, inherited_hide: str | None) -> None:
        for component in components:
            if not isinstance(component, dict):
                raise FormError(f"{self.filename}: every component must be a JSON object")
            self.check_id(component)
            kind = component.get("type")
            hide = _combine(inherited_hide, self.hide_source(component))
            if kind == "group":
                if component.get("path"):
                    raise self.error(component, "groups with a 'path' (nested data) are not supported")
                children = component.get("components", [])
                if not isinstance(children, list):
                    raise self.error(component, "'components' must be a list")
                self.walk(children, hide)
            elif kind in INPUT_TYPES:
                self.fields.append(self.input_field(component, kind, hide))
            elif kind in UNSUPPORTED_TYPES:
                raise self.error(component, f"component type '{kind}' is not supported by the server")
            elif kind not in DISPLAY_TYPES:
                raise self.error(component, f"unknown component type {kind!r}")

    def check_id(self, component: dict) -> None:
        cid = component.get("id")
        if cid is None:
            return
        if cid in self.ids:
            raise self.error(component, f"duplicate component id '{cid}'")
        self.ids.add(cid)

    def hide_source(self, component: dict) -> str | None:
        conditional = component.get("conditional") or {}
        if not isinstance(conditional, dict):
            raise self.error(component, "'conditional' must be an object")
        source = conditional.get("hide")
        if source in (None, ""):
            return None
        try:
            compile_expression(source)
        except ValueError as exc:
            raise self.error(component, f"conditional.hide {source!r}: {exc}") from exc
        return source

    def input_field(self, component: dict, kind: str, hide: str | None) -> Field:
        key = component.get("key")
        if not key:
            raise self.error(component, f"a '{kind}' component needs a 'key'")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise self.error(component, "the key must be a simple name (letters, digits, '_')")
        if key in self.keys:
            raise self.error(component, "duplicate key")
        self.keys.add(key)
        validate = component.get("validate") or {}
        if not isinstance(validate, dict):
            raise self.error(component, "'validate' must be an object")
        for name, value in validate.items():
            if isinstance(value, str) and value.startswith("="):
                raise self.error(component, f"validate.{name}: expressions are not supported")
        label = component.get("label")
        return Field(
            key=key, type=kind, id=str(component.get("id") or key),
            label=_text(label) or "",
            required=self.flag(component, validate, "required"),
            min_length=self.count(component, validate, "minLength"),
            max_length=self.count(component, validate, "maxLength"),
            pattern=self.pattern(component, validate),
            pattern_message=_text(validate.get("patternErrorMessage")),
            validation_type=self.validation_type(component, validate),
            minimum=self.number(component, validate, "min"),
            maximum=self.number(component, validate, "max"),
            decimal_digits=self.count(component, component, "decimalDigits"),
            increment=self.increment(component),
            values_key=self.values_key(component, kind),
            hide=compile_expression(hide) if hide else None,
            references=self.references(component, kind),
            subtype=self.subtype(component, kind),
            disabled=self.flag(component, component, "disabled"),
            **self.options(component, kind),
        )

    def flag(self, component: dict, holder: dict, name: str) -> bool:
        value = holder.get(name, False)
        if not isinstance(value, bool):
            raise self.error(component, f"'{name}' must be true or false")
        return value

    def count(self, component: dict, holder: dict, name: str) -> int | None:
        value = holder.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(component, f"'{name}' must be a whole number >= 0")
        return value

    def number(self, component: dict, holder: dict, name: str) -> int | float | None:
        value = holder.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(component, f"'{name}' must be a number")
        return value

    def pattern(self, component: dict, validate: dict) -> re.Pattern[str] | None:
        source = validate.get("pattern")
        if source in (None, ""):
            return None
        try:
            return re.compile(source)
        except (re.error, TypeError) as exc:
            raise self.error(component, f"pattern {source!r} is not a valid regular expression: "
                                        f"{exc}") from exc

    def validation_type(self, component: dict, validate: dict) -> str | None:
        value = validate.get("validationType") or None
        if value is not None and value not in VALIDATION_TYPES:
            raise self.error(component, f"unknown validationType {value!r}")
        return value

    def increment(self, component: dict) -> Decimal | None:
        value = component.get("increment")
        if value in (None, ""):
            return None
        try:
            increment = Decimal(str(value))
        except ArithmeticError as exc:
            raise self.error(component, "'increment' must be a number") from exc
        if not increment.is_finite() or increment <= 0:
            raise self.error(component, "'increment' must be a positive number")
        return increment

    def values_key(self, component: dict, kind: str) -> str | None:
        value = component.get("valuesKey") or None
        if value is not None and (kind not in OPTION_TYPES or not isinstance(value, str)):
            raise self.error(component, "'valuesKey' must be a name, on an option component")
        return value

    def options(self, component: dict, kind: str) -> dict[str, Any]:
        if component.get("serializeToString"):
            raise self.error(component, "'serializeToString' is not supported")
        if kind not in OPTION_TYPES or component.get("valuesKey"):
            return {"options": None, "option_labels": None}
        if component.get("valuesExpression"):
            raise self.error(component, "'valuesExpression' is not supported; use values or valuesKey")
        values = component.get("values")
        if not isinstance(values, list) or not values:
            raise self.error(component, "needs a non-empty 'values' list or a 'valuesKey'")
        pairs: list[tuple[Scalar, str]] = []
        for option in values:
            value = option.get("value") if isinstance(option, dict) else None
            if not isinstance(value, Scalar):
                raise self.error(component, "every option needs a 'value' (text, number or boolean)")
            if any(same_value(value, seen) for seen, _ in pairs):
                raise self.error(component, f"duplicate option value {value!r}")
            pairs.append((value, str(option.get("label") or value)))
        return {"options": tuple(v for v, _ in pairs), "option_labels": tuple(pairs)}

    def references(self, component: dict, kind: str) -> str | None:
        properties = component.get("properties") or {}
        if not isinstance(properties, dict):
            raise self.error(component, "'properties' must be an object")
        value = properties.get("references")
        if value is None:
            return None
        if value not in REFERENCES:
            known = ", ".join(sorted(REFERENCES))
            raise self.error(component, f"unknown properties.references {value!r} (known: {known})")
        if kind not in OPTION_TYPES:
            raise self.error(component, "properties.references is only supported on option components")
        return value

    def subtype(self, component: dict, kind: str) -> str | None:
        if kind != "datetime":
            return None
        value = component.get("subtype") or "date"
        if value not in DATETIME_SUBTYPES:
            raise self.error(component, f"unknown datetime subtype {value!r}")
        return value


def _combine(outer: str | None, inner: str | None) -> str | None:
    """A field inside a hidden group is hidden too: `=(group) or (field)`."""
    if outer and inner:
        return f"=({outer[1:]}) or ({inner[1:]})"
    return outer or inner


def same_value(left: Any, right: Any) -> bool:
    """Equality that keeps True apart from 1, as JSON does."""
    return isinstance(left, bool) == isinstance(right, bool) and left == right


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

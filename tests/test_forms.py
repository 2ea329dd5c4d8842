"""Task forms: the form files load, submissions are checked field by field, conditions hide fields,
unit references are real units, and broken form files are refused when they load."""
import json
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from app import forms
from app.engine.errors import InvalidData
from app.forms import feel, registry, texts
from app.forms.registry import FormError, load_directory, load_file
from app.forms.validation import validate
from tests import factories

REPO = Path(__file__).resolve().parent.parent
FORMS_DIR = REPO / "forms"
EXPECTED_FORMS = {"triage", "dispatch", "chief-reassign", "first-contact", "handle", "cooperate",
                  "extension-review", "review", "return-review", "rating", "revisit", "second-handling",
                  "assessment", "appeal-review"}
VALID_REPLY = {"action": "reply", "policy_basis": "  Regulation 12 on street lighting ",
               "result": "The lamp was repaired on Monday.", "responsible_person": " Wang Li ",
               "contact_phone": "13912345678"}


@pytest.fixture(scope="module")
def real_forms():
    return load_directory(FORMS_DIR)


def write_form(directory: Path, components: list, form_id: str = "sample",
               filename: str | None = None) -> Path:
    path = directory / (filename or f"{form_id}.form")
    path.write_text(json.dumps({"id": form_id, "type": "default", "schemaVersion": 19,
                                "components": components}), encoding="utf-8")
    return path


def errors_of(form, data, context=None) -> dict[str, list[str]]:
    """The problems, in English (the default locale is Chinese; see test_i18n_pages.py)."""
    with pytest.raises(InvalidData) as caught, force_locale("en"):
        validate(form, data, context)
    assert caught.value.status == 422
    assert caught.value.message == f"invalid data for form {form.id}"
    return caught.value.errors


# --- the real form files ------------------------------------------------------------------------

def test_every_form_file_loads_and_its_id_is_the_file_stem(real_forms):
    files = sorted(FORMS_DIR.glob("*.form"))
    assert {f.stem for f in files} == EXPECTED_FORMS
    for file in files:
        form = load_file(file)
        assert form.id == file.stem
        assert form.filename == file.name
        assert form.fields, f"{file.name} has no fields"
    assert set(real_forms) == EXPECTED_FORMS


def test_every_form_file_uses_the_vendored_form_js_schema_version(real_forms):
    bundle = (REPO / "app/static/vendor/form-js/form-viewer.umd.js").read_text(encoding="utf-8")
    vendored = int(re.search(r"const schemaVersion = (\d+);", bundle).group(1))
    for form in real_forms.values():
        schema = form.schema()
        assert schema["schemaVersion"] == vendored, form.filename
        assert schema["type"] == "default"
        assert schema["exporter"] == {"name": "Huiyin", "version": "0.1"}
        for field in form.fields:
            assert field.id == f"Field_{field.key}", form.filename


def test_designers_write_form_texts_in_english_and_every_one_has_chinese(real_forms, app):
    """Given the form files (one language, English), when a zh-CN page renders them, then every
    label, option and description is Chinese, from the same catalogue as the pages."""
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        for form in real_forms.values():
            english, shown = texts.texts(form.schema()), texts.texts(texts.translate(form.schema()))
            assert english and len(english) == len(shown), form.filename
            for source, chinese in zip(english, shown, strict=True):
                assert not re.search(r"[\u4e00-\u9fff]", source), f"{form.filename}: {source!r} not English"
                assert re.search(r"[\u4e00-\u9fff]", chinese), f"{form.filename}: no Chinese for {source!r}"


def test_action_fields_are_required_radios_and_dependent_fields_hide_on_other_actions(real_forms):
    for form in real_forms.values():
        action = form.field("action")
        if action is None:
            continue
        assert (action.type, action.required) == ("radio", True), form.filename
        for field in form.fields:
            if field.hide is not None:
                assert field.hide({"action": None}) is True, f"{form.filename}: {field.key}"


# --- validating a submission --------------------------------------------------------------------

def test_given_a_valid_handle_reply_when_validated_then_only_form_fields_come_back_stripped(real_forms):
    accepted = validate(real_forms["handle"], VALID_REPLY)

    assert accepted == {"action": "reply", "policy_basis": "Regulation 12 on street lighting",
                        "result": "The lamp was repaired on Monday.", "responsible_person": "Wang Li",
                        "contact_phone": "13912345678"}


def test_given_a_reply_missing_required_fields_then_each_one_is_named_at_once(real_forms):
    errors = errors_of(real_forms["handle"], {"action": "reply", "result": "   ", "contact_phone": None})

    assert errors == {"policy_basis": ["required"], "result": ["required"],
                      "responsible_person": ["required"], "contact_phone": ["required"]}


def test_given_too_long_text_and_a_bad_phone_then_both_fields_get_specific_messages(real_forms):
    data = {**VALID_REPLY, "result": "x" * 2001, "contact_phone": "call me"}

    errors = errors_of(real_forms["handle"], data)

    assert errors["result"] == ["at most 2000 characters"]
    assert errors["contact_phone"] == [r"must match the pattern ^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|12345)$"]
    assert set(errors) == {"result", "contact_phone"}


def test_length_counts_characters_not_bytes(real_forms):
    accepted = validate(real_forms["handle"], {**VALID_REPLY, "responsible_person": "王" * 50})

    assert accepted["responsible_person"] == "王" * 50
    assert errors_of(real_forms["handle"], {**VALID_REPLY, "responsible_person": "王" * 51}) == {
        "responsible_person": ["at most 50 characters"]}


def test_the_phone_pattern_must_match_the_whole_value(real_forms):
    for phone in ("0411-12345678", "12345"):
        accepted = validate(real_forms["handle"], {**VALID_REPLY, "contact_phone": phone})
        assert accepted["contact_phone"] == phone
    assert "contact_phone" in errors_of(real_forms["handle"], {**VALID_REPLY, "contact_phone": "123456"})


@pytest.mark.parametrize(("days", "message"), [
    (0, "must be at least 1"),
    (21, "must be at most 20"),
    (2.5, "must be a whole number"),
    (True, "must be a number"),
    ("3", "must be a number"),
    (float("nan"), "must be a finite number"),
    (float("inf"), "must be a finite number"),
])
def test_given_a_bad_extension_length_then_extension_days_is_refused(real_forms, days, message):
    data = {"action": "extension", "extension_days": days, "extension_reason": "Waiting for a permit"}

    assert errors_of(real_forms["handle"], data) == {"extension_days": [message]}


def test_a_whole_float_counts_as_a_whole_number_and_is_stored_as_int(real_forms):
    data = {"action": "extension", "extension_days": 20.0, "extension_reason": "Waiting for a permit"}

    accepted = validate(real_forms["handle"], data)

    assert accepted["extension_days"] == 20 and isinstance(accepted["extension_days"], int)


def test_given_an_unknown_option_and_an_unknown_key_then_both_are_reported(real_forms):
    errors = errors_of(real_forms["triage"], {"action": "ignore", "priority": "high"})

    assert errors == {"action": ["must be one of: accept, refuse, answer"],
                      "priority": ["not a field of form triage"]}


def test_given_an_escalation_then_reply_fields_are_hidden_not_required_and_dropped(real_forms):
    data = {"action": "escalate", "escalate_reason": "Needs the county's budget",
            "result": "half-written reply", "contact_phone": "not a phone"}

    accepted = validate(real_forms["handle"], data)

    assert accepted == {"action": "escalate", "escalate_reason": "Needs the county's budget"}


def test_given_no_action_then_only_the_action_is_required(real_forms):
    assert errors_of(real_forms["handle"], {}) == {"action": ["required"]}


def test_given_a_refusal_then_its_reason_must_be_one_of_the_listed_ones(real_forms):
    triage = real_forms["triage"]
    accepted = validate(triage, {"action": "refuse", "refusal_reason": "litigation",
                                 "redirect_to": "the district court"})
    assert accepted["refusal_reason"] == "litigation"

    errors = errors_of(triage, {"action": "refuse", "refusal_reason": "boredom", "redirect_to": "x" * 201})
    assert errors["refusal_reason"][0].startswith("must be one of: emergency, litigation")
    assert errors["redirect_to"] == ["at most 200 characters"]


def test_an_optional_field_sent_empty_is_stored_as_none_and_one_not_sent_is_left_out(real_forms):
    accepted = validate(real_forms["rating"], {"satisfaction": "satisfied", "resolution": "resolved",
                                               "rating_comment": "  "})

    assert accepted == {"satisfaction": "satisfied", "resolution": "resolved", "rating_comment": None}


def test_text_with_a_nul_character_or_of_the_wrong_type_is_refused(real_forms):
    errors = errors_of(real_forms["cooperate"], {"part": "done\x00", "contact_person": 42})

    assert errors == {"part": ["must not contain NUL characters"], "contact_person": ["must be text"]}


def test_a_submission_that_is_not_an_object_is_refused(real_forms):
    assert errors_of(real_forms["cooperate"], ["part"]) == {"_data": ["must be a JSON object"]}


def test_min_length_applies_to_the_stripped_text(real_forms):
    errors = errors_of(real_forms["first-contact"], {"action": "return", "return_reason": "  no  "})

    assert errors == {"return_reason": ["at least 5 characters"]}


# --- unit references ----------------------------------------------------------------------------

def test_given_a_unit_that_does_not_exist_then_dispatch_is_refused_and_an_existing_one_is_accepted(app):
    form = forms.get("dispatch")
    office = factories.unit("U1", "township")
    data = {"action": "assign", "level": "township", "complexity": "simple"}

    assert errors_of(form, {**data, "unit_id": office.id + 1000}) == {
        "unit_id": [f"no unit with id {office.id + 1000}"]}
    assert validate(form, {**data, "unit_id": office.id})["unit_id"] == office.id


def test_a_unit_id_must_be_an_integer_not_a_string(app):
    office = factories.unit("U1", "township")

    errors = errors_of(forms.get("chief-reassign"),
                       {"unit_id": str(office.id), "level": "county", "instruction": "Handle it"})

    assert errors == {"unit_id": ["must be a unit id (a whole number)"]}


def test_cooperating_units_must_all_exist_and_not_repeat(app):
    form = forms.get("dispatch")
    first, second = factories.unit("U1"), factories.unit("U2")
    data = {"action": "assign", "unit_id": first.id, "level": "village", "complexity": "complex"}

    accepted = validate(form, {**data, "cooperating_unit_ids": [first.id, second.id]})
    assert accepted["cooperating_unit_ids"] == [first.id, second.id]

    assert errors_of(form, {**data, "cooperating_unit_ids": [second.id, second.id]}) == {
        "cooperating_unit_ids": [f"{second.id!r} is listed more than once"]}
    assert errors_of(form, {**data, "cooperating_unit_ids": [second.id, 9999]}) == {
        "cooperating_unit_ids": ["no unit with id 9999"]}


def test_given_the_chief_route_then_unit_fields_are_hidden_and_need_no_unit(app):
    accepted = validate(forms.get("dispatch"), {"action": "chief", "complexity": "especially_complex",
                                                "unit_id": 9999, "cooperating_unit_ids": [9999]})

    assert accepted == {"action": "chief", "complexity": "especially_complex"}


# --- every component type, on a form written for the test ---------------------------------------

ALL_TYPES = [
    {"type": "text", "text": "# Sample", "id": "Text_title"},
    {"type": "checkbox", "key": "agree", "label": "Agree", "validate": {"required": True}},
    {"type": "checkbox", "key": "urgent", "label": "Urgent"},
    {"type": "checklist", "key": "days", "label": "Days",
     "values": [{"label": "Mon", "value": "mon"}, {"label": "Tue", "value": "tue"}]},
    {"type": "datetime", "key": "on", "subtype": "date", "label": "On"},
    {"type": "datetime", "key": "at", "subtype": "time", "label": "At"},
    {"type": "datetime", "key": "when", "subtype": "datetime", "label": "When"},
    {"type": "textfield", "key": "email", "label": "Email", "validate": {"validationType": "email"}},
    {"type": "textfield", "key": "phone", "label": "Phone", "validate": {"validationType": "phone"}},
    {"type": "number", "key": "amount", "label": "Amount", "decimalDigits": 2, "increment": 0.05},
    {"type": "group", "id": "Group_extra", "label": "Extra",
     "conditional": {"hide": "=role != \"admin\""},
     "components": [{"type": "textfield", "key": "secret", "label": "Secret",
                     "validate": {"required": True}, "conditional": {"hide": "=urgent"}}]},
]


@pytest.fixture
def sample(tmp_path):
    return load_file(write_form(tmp_path, ALL_TYPES))


def test_given_good_values_of_every_type_then_they_are_accepted(sample):
    data = {"agree": True, "urgent": False, "days": ["tue", "mon"], "on": "2024-02-29", "at": "09:30+08:00",
            "when": "2024-03-01T09:30:00+08:00", "email": " a@b.cn ", "phone": "+86 411 1234",
            "amount": 1.25, "secret": "s"}

    accepted = validate(sample, data, context={"role": "admin"})

    assert accepted == {**data, "email": "a@b.cn"}
    assert [f.key for f in sample.fields] == ["agree", "urgent", "days", "on", "at", "when", "email",
                                              "phone", "amount", "secret"]


def test_given_bad_values_of_every_type_then_each_field_gets_its_own_message(sample):
    data = {"agree": False, "urgent": "yes", "days": ["mon", "sun"], "on": "2023-02-29", "at": "9:30",
            "when": "2024-03-01", "email": "nobody", "phone": "12", "amount": 1.234}

    errors = errors_of(sample, data, context={"role": "admin"})

    assert errors == {
        "agree": ["required"], "urgent": ["must be true or false"],
        "days": ["'sun' is not one of: mon, tue"], "on": ["must be a date (YYYY-MM-DD)"],
        "at": ["must be a time (HH:MM)"], "when": ["must be a date and time (ISO 8601)"],
        "email": ["must be an email address"],
        "phone": ["must be a phone number (digits, +, - and spaces, 5 to 20 characters)"],
        "amount": ["at most 2 decimal places", "must be a multiple of 0.05"],
        "secret": ["required"],
    }


def test_a_list_field_refuses_non_lists_and_more_than_fifty_items(sample):
    assert errors_of(sample, {"agree": True, "days": "mon"})["days"] == ["must be a list"]
    assert errors_of(sample, {"agree": True, "days": ["mon"] * 51})["days"] == ["at most 50 items"]


def test_a_hidden_group_hides_its_fields_and_conditions_see_the_context(sample):
    hidden = validate(sample, {"agree": True, "secret": "dropped"}, context={"role": "clerk"})
    assert hidden == {"agree": True}
    assert validate(sample, {"agree": True, "urgent": True, "secret": "x"}, context={"role": "admin"}) == {
        "agree": True, "urgent": True}
    # submitted data wins over the context
    assert "secret" in errors_of(sample, {"agree": True, "role": "admin"}, context={"role": "clerk"})


def test_a_disabled_field_is_never_written(tmp_path):
    form = load_file(write_form(tmp_path, [{"type": "textfield", "key": "ref", "disabled": True},
                                           {"type": "textfield", "key": "note"}]))

    assert validate(form, {"ref": "forged", "note": "hi"}) == {"note": "hi"}


# --- the FEEL subset ----------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "data", "expected"), [
    ('=action = "reply"', {"action": "reply"}, True),
    ('=action = "reply"', {"action": "other"}, False),
    ('=action != "reply"', {}, True),
    ("=missing = null", {}, True),
    ('=missing = "x"', {}, False),
    ("=missing < 3", {}, False),
    ("=not(missing < 3)", {}, False),
    ("=flag", {"flag": True}, True),
    ("=flag", {"flag": "yes"}, False),
    ("=days >= 5 and days <= 10", {"days": 5}, True),
    ("=days > 10", {"days": 10.5}, True),
    ("=days > -1", {"days": 0}, True),
    ('=days = "5"', {"days": 5}, False),
    ("=count = true", {"count": 1}, False),
    ('=name < "b"', {"name": "a"}, True),
    ('=name < 3', {"name": "a"}, False),
    ("=a = 1 or b = 2 and c = 3", {"a": 1, "b": 0, "c": 0}, True),
    ("=a = 1 or b = 2 and c = 3", {"a": 0, "b": 2, "c": 0}, False),
    ("=(a = 1 or b = 2) and c = 3", {"a": 1, "b": 0, "c": 0}, False),
    ('=not(action = "reply" or action = "escalate")', {"action": "extension"}, True),
    ('=not(action = "reply" or action = "escalate")', {"action": "reply"}, False),
    ("=missing < 1 or true", {}, True),
    ("=false and missing < 1", {}, False),
    ('=text = "say \\"hi\\""', {"text": 'say "hi"'}, True),
    ("=true", {}, True),
])
def test_feel_subset_evaluates_like_feel(expression, data, expected):
    assert feel.compile_expression(expression)(data) is expected


@pytest.mark.parametrize(("expression", "message"), [
    ("action = 1", "must be a string starting with '='"),
    ('=action == "reply"', "use '=' for equality"),
    ("=a && b", "use 'and'"),
    ("=a || b", "use 'or'"),
    ("=!a", "not(...)"),
    ("=a = 'x'", "double quotes"),
    ('=upper case(a) = "X"', "expected an operator or the end"),
    ("=is_empty(a)", "function calls are not supported"),
    ('=contains(a, "x")', "unsupported character ','"),
    ("=@a", "unsupported character '@'"),
    ("=a.b = 1", "unsupported character '.'"),
    ("=a in [1, 2]", "unsupported character '['"),
    ("=a + 1 > 2", "unsupported character '+'"),
    ('=__import__("os")', "function calls are not supported"),
    ("=1 < a < 3", "chained comparisons are not supported"),
    ("=not a", "expected '(' after 'not'"),
    ("=(a = 1", "expected ')'"),
    ('="open', "unterminated string"),
    ("=", "expected a name"),
    ("=a = 1 and", "expected a name"),
])
def test_feel_subset_refuses_everything_else(expression, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        feel.compile_expression(expression)


# --- refusing broken form files -----------------------------------------------------------------

def _with(component: dict) -> dict:
    return {"id": "bad", "components": [component]}


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", ["bad.form", "not a readable JSON file"]),
    (json.dumps({"components": []}), ["bad.form", "no 'id'"]),
    (_with({"type": "slider", "key": "x", "id": "Field_x"}),
     ["component 'x'", "unknown component type 'slider'"]),
    (_with({"type": "filepicker", "key": "f"}), ["component 'f'", "not supported by the server"]),
    (_with({"type": "textfield", "id": "Field_nokey"}), ["component id 'Field_nokey'", "needs a 'key'"]),
    ({"id": "bad", "components": [{"type": "textfield", "key": "a", "id": "A1"},
                                  {"type": "textarea", "key": "a", "id": "A2"}]},
     ["component 'a'", "duplicate key"]),
    (_with({"type": "textfield", "key": "p", "validate": {"pattern": "([a-z"}}),
     ["component 'p'", "not a valid regular expression"]),
    (_with({"type": "textfield", "key": "h", "conditional": {"hide": "=size(a) > 1"}}),
     ["component 'h'", "conditional.hide", "function calls are not supported"]),
    (_with({"type": "select", "key": "u", "valuesKey": "units", "properties": {"references": "user"}}),
     ["component 'u'", "unknown properties.references 'user'"]),
    (_with({"type": "select", "key": "s"}), ["component 's'", "values"]),
    (_with({"type": "select", "key": "s", "valuesExpression": "=options"}),
     ["component 's'", "valuesExpression"]),
    (_with({"type": "textfield", "key": "a.b"}), ["component 'a.b'", "simple name"]),
    (_with({"type": "number", "key": "n", "validate": {"min": "=limit"}}), ["component 'n'", "validate.min"]),
    (_with({"type": "group", "id": "Group_1", "path": "address", "components": []}),
     ["component id 'Group_1'", "path"]),
    (_with({"type": "group", "id": "Group_2", "components": [{"type": "dynamiclist", "key": "rows"}]}),
     ["component 'rows'", "not supported by the server"]),
])
def test_given_a_broken_form_file_then_loading_names_the_file_and_the_component(tmp_path, content, expected):
    path = tmp_path / "bad.form"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")

    with pytest.raises(FormError) as caught:
        load_file(path)

    assert str(caught.value).startswith("bad.form: ")
    for part in expected:
        assert part in str(caught.value)


def test_two_files_with_the_same_form_id_are_refused(tmp_path):
    write_form(tmp_path, [], form_id="twin", filename="a.form")
    write_form(tmp_path, [], form_id="twin", filename="b.form")

    with pytest.raises(FormError, match=re.escape("b.form: form id 'twin' is already used by a.form")):
        load_directory(tmp_path)


# --- the per-process registry -------------------------------------------------------------------

def test_get_reads_the_repository_forms_by_default(app):
    assert forms.get("handle").field("extension_days").maximum == 20
    assert forms.get("no-such-form") is None


def test_get_loads_the_configured_directory_once_until_the_cache_is_cleared(app, tmp_path):
    app.config["FORMS_DIR"] = str(tmp_path)
    path = write_form(tmp_path, [{"type": "textfield", "key": "first"}])
    registry.clear_cache()
    try:
        assert forms.get("sample").keys == ("first",)
        write_form(tmp_path, [{"type": "textfield", "key": "second"}])
        assert forms.get("sample").keys == ("first",)

        registry.clear_cache()
        assert forms.get("sample").keys == ("second",)
        path.unlink()
        registry.clear_cache()
        assert forms.get("sample") is None
    finally:
        registry.clear_cache()

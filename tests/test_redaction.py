"""One masking function for free text that leaves the staff application (PIPL): phone numbers,
ID numbers, e-mail addresses and the requester's name, in every spelling the generators below
write (tests/pii.py), embedded in Chinese and English text, never survive `redact`."""
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.privacy.redaction import redact
from tests import pii
from tests.pii import CONTEXT, digits_left, embedded, written

PROPERTY = settings(max_examples=300, deadline=None)


@PROPERTY
@given(embedded(st.one_of(pii.mobiles(), pii.landlines(), pii.id_numbers())))
def test_no_phone_or_id_number_survives_in_any_spelling(parts):
    before, value, after = parts
    masked = redact(before + value + after)
    assert digits_left(masked) == "", (value, masked)
    assert masked.startswith(before) and masked.endswith(after)  # the rest of the text stays


@PROPERTY
@given(embedded(pii.emails()))
def test_no_email_address_survives(parts):
    before, value, after = parts
    masked = redact(before + value + after)
    normal = unicodedata.normalize("NFKC", masked)
    assert "@" not in normal and unicodedata.normalize("NFKC", value).split("@")[-1].strip() not in normal
    assert masked.startswith(before) and masked.endswith(after)


@PROPERTY
@given(st.one_of(pii.chinese_names(), pii.english_names()).flatmap(
    lambda name: st.tuples(st.just(name), embedded(written(name)))))
def test_the_requesters_name_does_not_survive_however_it_is_written(drawn):
    name, (before, value, after) = drawn
    masked = redact(before + value + after, names=[name])
    squeezed = re.sub(r"\s+", "", unicodedata.normalize("NFKC", masked)).casefold()
    assert name.replace(" ", "").casefold() not in squeezed, (value, masked)
    for part in name.split(" ") if " " in name else ():
        assert not re.search(rf"(?<![a-z]){part.casefold()}(?![a-z])", squeezed.replace("*", " "))


@PROPERTY
@given(st.lists(st.one_of(pii.mobiles(), pii.landlines(), pii.id_numbers(), pii.emails()),
                min_size=2, max_size=5), CONTEXT)
def test_several_items_in_one_text_are_all_masked(values, glue):
    text = (glue + "，").join(values)
    masked = redact(text)
    assert digits_left(masked) == "" and "@" not in unicodedata.normalize("NFKC", masked)


@pytest.mark.parametrize("text", [
    "电话138 1234 5678", "电话138-1234-5678", "+8613812345678", "手机：１３８１２３４５６７８",
    "座机(0418) 1234567", "座机0418-1234567", "身份证21090219800101123x", "ID 210902 19800101 1234",
    "旧证210902800101123", "mail: zhang.san@example.com", "邮箱ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ",
])
def test_the_spellings_named_in_the_issue_are_masked(text):
    masked = redact(text)
    assert digits_left(masked) == "" and "@" not in unicodedata.normalize("NFKC", masked), masked
    assert len(masked) == len(text)  # the positions are kept: each masked character becomes one *


def test_names_are_masked_also_when_spaced_out_and_short_names_are_left_alone():
    assert redact("张 三反映：张三家门口路灯不亮", names=["张三"]) == "***反映：**家门口路灯不亮"
    assert redact("John SMITH called; smith says", names=["John Smith"]) == "********** called; ***** says"
    assert redact("张家口的路灯", names=["张"]) == "张家口的路灯"  # one character identifies nobody


def test_what_is_not_personal_data_stays():
    text = "案件HY20261122-000001：于2026-11-22更换灯泡3盏，费用1200元，5月12日前完成。Call 12345."
    assert redact(text) == text
    assert redact(None) == "" and redact("") == ""

"""Hypothesis strategies that write personal data the way people type it (phone numbers, ID
numbers, e-mail addresses, names; half- and full-width, spaced, with prefixes), embedded in
Chinese and English text without digits; shared by the redaction and the publication tests."""
import re
import unicodedata
from itertools import pairwise

from hypothesis import strategies as st

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
#: Separators people write between digit groups (full-width space and hyphen included).
SEPARATORS = ("", " ", "-", ".", " - ", "  ", "\u3000", "－", "—", "·")
#: Surrounding text: Chinese, English and punctuation, never a digit or an e-mail character, so
#: whatever digit is left after masking came from the personal data.
CONTEXT = st.text(alphabet="路灯不亮请联系我电话号码身份证邮箱姓名住在三组村口谢谢 lamptheoutcallmeatplease"
                           "，。：；！？、", max_size=30)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳司马"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


def digits_left(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())


@st.composite
def spelled(draw, groups: list[str]) -> str:
    """Digit groups joined by one separator, each digit possibly full-width."""
    separator = draw(st.sampled_from(SEPARATORS))
    wide = draw(st.sampled_from(("none", "all", "some")))
    text = separator.join(groups)
    if wide == "all":
        return "".join(FULL_WIDTH.get(c, c) for c in text)
    if wide == "some":
        flags = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(FULL_WIDTH.get(c, c) if flag else c for c, flag in zip(text, flags, strict=True))
    return text


def number(length: int, first: str = "0123456789"):
    return st.tuples(st.sampled_from(first), st.text(alphabet="0123456789", min_size=length - 1,
                                                     max_size=length - 1)).map("".join)


@st.composite
def mobiles(draw) -> str:
    digits = draw(st.tuples(st.just("1"), st.sampled_from("3456789"), number(9)).map("".join))
    cut = draw(st.sampled_from(((3, 7), (3,), (), (4, 7), (3, 5, 8))))
    bounds = (0, *cut, 11)
    body = draw(spelled([digits[a:b] for a, b in pairwise(bounds)]))
    prefix = draw(st.sampled_from(("", "+86", "+86 ", "+86-", "0086", "0086 ", "86", "86-", "(+86)",
                                   "（+86）", "＋８６ ")))
    return prefix + body


@st.composite
def landlines(draw) -> str:
    area = draw(st.sampled_from(("010", "021", "024", "0418", "0411", "0755")))
    local = draw(number(draw(st.sampled_from((7, 8))), first="2345678"))
    local = draw(spelled([local[:-4], local[-4:]] if draw(st.booleans()) else [local]))
    form = draw(st.sampled_from(("({a}) {n}", "({a}){n}", "（{a}）{n}", "{a}-{n}", "{a} {n}", "{a}{n}",
                                 "{a}－{n}", "+86 {b} {n}", "+86-{b}-{n}", "0086 {b} {n}")))
    return form.format(a=area, b=area[1:], n=local)


@st.composite
def id_numbers(draw) -> str:
    if draw(st.booleans()):
        body = draw(number(17, first="123456789")) + draw(st.sampled_from("0123456789Xx"))
        cuts = draw(st.sampled_from(((6, 14), (6, 10, 14), (), (3, 6, 10, 14))))
    else:
        body = draw(number(15, first="123456789"))
        cuts = draw(st.sampled_from(((6, 12), (), (6,))))
    bounds = (0, *cuts, len(body))
    return draw(spelled([body[a:b] for a, b in pairwise(bounds)]))


@st.composite
def emails(draw) -> str:
    local = draw(st.from_regex(r"[a-z][a-z0-9._+-]{0,15}[a-z0-9]", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}[a-z0-9](\.[a-z]{2,6}){1,2}", fullmatch=True))
    at = draw(st.sampled_from(("@", "＠", " @ ")))
    address = f"{local}{at}{domain}"
    if draw(st.booleans()):  # typed on a full-width keyboard
        address = unicodedata.normalize("NFKC", address).translate(
            {c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    return address


def embedded(values) -> st.SearchStrategy[tuple[str, str, str]]:
    return st.tuples(CONTEXT.map(lambda t: t + "："), values, CONTEXT.map(lambda t: "，" + t))


@st.composite
def chinese_names(draw) -> str:
    return draw(st.sampled_from(SURNAMES)) + draw(st.text(alphabet=GIVEN, min_size=1, max_size=2))


@st.composite
def english_names(draw) -> str:
    first = draw(st.from_regex(r"[A-Z][a-z]{2,8}", fullmatch=True))
    last = draw(st.from_regex(r"[A-Z][a-z]{2,10}", fullmatch=True))
    return f"{first} {last}"


@st.composite
def written(draw, name: str) -> str:
    """The name as someone types it in the text: spaced out, upper or lower case, full-width."""
    how = draw(st.sampled_from(("as is", "spaced", "upper", "lower", "wide space", "full-width")))
    if how == "spaced":
        return " ".join(name.replace(" ", ""))
    if how == "wide space":
        return "\u3000".join(name.split(" ")) if " " in name else "\u3000".join(name)
    if how == "full-width":
        return name.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    return {"upper": name.upper(), "lower": name.lower()}.get(how, name)


@st.composite
def personal_text(draw) -> tuple[str, str]:
    """(text, requester's name): free text holding the name and several numbers and addresses."""
    name = draw(st.one_of(chinese_names(), english_names()))
    items = draw(st.lists(st.one_of(mobiles(), landlines(), id_numbers(), emails()), min_size=1, max_size=4))
    items.insert(draw(st.integers(0, len(items))), draw(written(name)))
    glue = "，" + draw(CONTEXT) + "，"
    return draw(CONTEXT) + "：" + glue.join(items) + "，" + draw(CONTEXT), name


def leaks(text: str | None, name: str) -> list[str]:
    """What personal data survives in `text`, a masked text whose surroundings hold no digit."""
    normal = unicodedata.normalize("NFKC", text or "")
    squeezed = re.sub(r"\s+", "", normal).casefold()
    found = [c for c in normal if c.isdigit()] + (["@"] if "@" in normal else [])
    return found + ([name] if name.replace(" ", "").casefold() in squeezed else [])

"""A tiny FEEL subset for form-js `conditional.hide` expressions.

Forms come from designers, so the server must evaluate their conditions without running
arbitrary code: this module tokenizes and parses a small, closed grammar and never calls
Python's eval. Supported, and nothing else (anything else raises ValueError at load time):

    expression  = "=" disjunction
    disjunction = conjunction { "or" conjunction }
    conjunction = comparison { "and" comparison }
    comparison  = operand [ ("=" | "!=" | "<" | "<=" | ">" | ">=") operand ]
    operand     = name | string | number | "true" | "false" | "null"
                | "not" "(" disjunction ")" | "(" disjunction ")"

Names are simple identifiers looked up in the data; an unknown name is null. Strings use double
quotes (escapes \\" \\\\ \\n \\t \\r); numbers may carry a leading minus. Semantics follow FEEL:
`=` between different types is false and null only equals null; `<` etc. compare two numbers or
two strings and are null otherwise; `and`, `or` and `not` use three-valued logic with null for
"unknown". A condition holds only when the result is exactly true.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Condition", "compile_expression"]

_COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
_KEYWORDS = {"and", "or", "not", "true", "false", "null"}
_LITERALS = {"true": True, "false": False, "null": None}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_HINTS = {
    "==": "use '=' for equality, not '=='",
    "&&": "use 'and', not '&&'",
    "||": "use 'or', not '||'",
    "!": "use 'not(...)' or '!=', not '!'",
    "'": "strings use double quotes",
}

Evaluator = Callable[[dict], Any]


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "keyword", "string", "number", "op", "(", ")", "end"
    value: Any
    position: int


@dataclass(frozen=True)
class Condition:
    """A compiled condition; call it with the data to get True or False."""

    source: str
    evaluate: Evaluator = field(repr=False, compare=False)

    def __call__(self, data: dict) -> bool:
        return self.evaluate(data) is True


def compile_expression(text: str) -> Condition:
    """Compile `=<expression>` into a Condition; ValueError names the first unsupported part."""
    if not isinstance(text, str) or not text.startswith("="):
        raise ValueError("a FEEL expression must be a string starting with '='")
    parser = _Parser(_tokenize(text, 1))
    evaluate = parser.disjunction()
    parser.expect_end()
    return Condition(text, evaluate)


def _tokenize(text: str, start: int) -> list[_Token]:
    """Split `text` from index `start`; positions in messages are 1-based in the whole text."""
    tokens: list[_Token] = []
    i = start
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif text.startswith(("==", "&&", "||"), i):
            raise ValueError(f"{_HINTS[text[i:i + 2]]} (position {i + 1})")
        elif text.startswith(("!=", "<=", ">="), i):
            tokens.append(_Token("op", text[i:i + 2], i))
            i += 2
        elif char in "=<>":
            tokens.append(_Token("op", char, i))
            i += 1
        elif char in "()":
            tokens.append(_Token(char, char, i))
            i += 1
        elif char == '"':
            value, end = _read_string(text, i)
            tokens.append(_Token("string", value, i))
            i = end
        elif char.isdigit() or (char == "-" and _NUMBER.match(text, i + 1)):
            match = _NUMBER.match(text, i + 1 if char == "-" else i)
            literal = text[i:match.end()]
            tokens.append(_Token("number", float(literal) if "." in literal else int(literal), i))
            i = match.end()
        elif char.isalpha() or char == "_":
            start = i
            while i < len(text) and (text[i].isalnum() or text[i] == "_"):
                i += 1
            word = text[start:i]
            tokens.append(_Token("keyword" if word in _KEYWORDS else "name", word, start))
        else:
            hint = _HINTS.get(char, f"unsupported character {char!r}")
            raise ValueError(f"{hint} (position {i + 1})")
    tokens.append(_Token("end", None, len(text)))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(chars), i + 1
        if char == "\\":
            escaped = text[i + 1:i + 2]
            if escaped not in _ESCAPES:
                raise ValueError(f"unsupported escape '\\{escaped}' in string (position {i + 1})")
            chars.append(_ESCAPES[escaped])
            i += 2
        else:
            chars.append(char)
            i += 1
    raise ValueError(f"unterminated string (position {start + 1})")


class _Parser:
    """Recursive descent over the token list; each rule returns an evaluator closure."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: _Token, expected: str) -> ValueError:
        found = "the end" if token.kind == "end" else repr(str(token.value))
        return ValueError(f"expected {expected} but found {found} (position {token.position + 1})")

    def expect_end(self) -> None:
        token = self.peek()
        if token.kind != "end":
            raise self.fail(token, "an operator or the end")

    def is_keyword(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "keyword" and token.value == word

    def disjunction(self) -> Evaluator:
        parts = [self.conjunction()]
        while self.is_keyword("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else _any(parts)

    def conjunction(self) -> Evaluator:
        parts = [self.comparison()]
        while self.is_keyword("and"):
            self.take()
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else _all(parts)

    def comparison(self) -> Evaluator:
        left = self.operand()
        if self.peek().kind != "op":
            return left
        operator = self.take().value
        right = self.operand()
        if self.peek().kind == "op":
            raise ValueError(f"chained comparisons are not supported, use 'and' "
                             f"(position {self.peek().position + 1})")
        return _comparison(operator, left, right)

    def operand(self) -> Evaluator:
        token = self.take()
        if token.kind in ("string", "number"):
            return _constant(token.value)
        if token.kind == "keyword" and token.value in _LITERALS:
            return _constant(_LITERALS[token.value])
        if token.kind == "keyword" and token.value == "not":
            return _negation(self.parenthesised("'(' after 'not'"))
        if token.kind == "name":
            if self.peek().kind == "(":
                raise ValueError(f"function calls are not supported, only not(...): "
                                 f"'{token.value}(' (position {token.position + 1})")
            return _variable(token.value)
        if token.kind == "(":
            self.index -= 1
            return self.parenthesised("'('")
        raise self.fail(token, "a name, a literal, 'not(' or '('")

    def parenthesised(self, expected: str) -> Evaluator:
        token = self.take()
        if token.kind != "(":
            raise self.fail(token, expected)
        inner = self.disjunction()
        token = self.take()
        if token.kind != ")":
            raise self.fail(token, "')'")
        return inner


def _constant(value: Any) -> Evaluator:
    return lambda data: value


def _variable(name: str) -> Evaluator:
    return lambda data: data.get(name)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _equal(left: Any, right: Any) -> bool:
    return _kind(left) == _kind(right) and left == right


def _order(operator: str, left: Any, right: Any) -> bool | None:
    kind = _kind(left)
    if kind != _kind(right) or kind not in ("number", "string"):
        return None
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]


def _comparison(operator: str, left: Evaluator, right: Evaluator) -> Evaluator:
    if operator == "=":
        return lambda data: _equal(left(data), right(data))
    if operator == "!=":
        return lambda data: not _equal(left(data), right(data))
    return lambda data: _order(operator, left(data), right(data))


def _truth(value: Any) -> bool | None:
    """FEEL logic: only booleans are true or false; anything else is unknown (null)."""
    return value if isinstance(value, bool) else None


def _all(parts: list[Evaluator]) -> Evaluator:
    def evaluate(data: dict) -> bool | None:
        values = [_truth(part(data)) for part in parts]
        if False in values:
            return False
        return None if None in values else True
    return evaluate


def _any(parts: list[Evaluator]) -> Evaluator:
    def evaluate(data: dict) -> bool | None:
        values = [_truth(part(data)) for part in parts]
        if True in values:
            return True
        return None if None in values else False
    return evaluate


def _negation(inner: Evaluator) -> Evaluator:
    def evaluate(data: dict) -> bool | None:
        value = _truth(inner(data))
        return None if value is None else not value
    return evaluate

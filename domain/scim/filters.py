"""SCIM filters (RFC 7644 §3.4.2.2), parsed into a tree.

    filter    = attrExp / logExp / valuePath / "not" "(" filter ")" / "(" filter ")"
    attrExp   = attrPath "pr" / attrPath compareOp compValue
    valuePath = attrPath "[" valFilter "]"          e.g. emails[type eq "work"]
    compareOp = eq / ne / co / sw / ew / gt / lt / ge / le
    compValue = false / null / true / number / string (JSON)

`not` binds tighter than `and`, `and` tighter than `or`; operators and keywords are
case-insensitive. The tree is compiled into SQL with bind parameters by db/scim_filters.py;
`matches` evaluates it on a JSON element (the value filters of PATCH paths).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from domain.scim.errors import invalid_filter
from domain.validation import unstorable_text

COMPARE_OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"})
MAX_FILTER_LENGTH = 2000
MAX_DEPTH = 20

Value = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class AttrPath:
    """`[schema:]attribute[.subAttribute]`, names as written."""

    attribute: str
    sub_attribute: str | None = None
    schema: str | None = None

    def __str__(self) -> str:
        name = self.attribute + (f".{self.sub_attribute}" if self.sub_attribute else "")
        return f"{self.schema}:{name}" if self.schema else name


@dataclass(frozen=True, slots=True)
class Compare:
    path: AttrPath
    operator: str
    value: Value


@dataclass(frozen=True, slots=True)
class Present:
    path: AttrPath


@dataclass(frozen=True, slots=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Not:
    inner: Filter


@dataclass(frozen=True, slots=True)
class ValuePath:
    """`attribute[filter]`: some value of a multi-valued attribute matches the inner filter,
    whose paths name sub-attributes."""

    path: AttrPath
    inner: Filter


Filter = Compare | Present | And | Or | Not | ValuePath

_URN = re.compile(r"^(urn:[A-Za-z0-9.:_-]+):([A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)?)$", re.I)
_NAME = re.compile(r"^[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)?$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_DECODER = json.JSONDecoder()


def parse_attr_path(text: str) -> AttrPath:
    """An attribute path (no value filter): `userName`, `name.givenName`, or with the schema
    URN in front. Raises ValueError when it is none of these."""
    schema = None
    match = _URN.match(text)
    if match is not None:
        schema, text = match.group(1), match.group(2)
    if not _NAME.match(text):
        raise ValueError(text)
    attribute, _, sub = text.partition(".")
    return AttrPath(attribute, sub or None, schema)


def _tokens(text: str) -> list[tuple[str, Any]]:
    """('(' | ')' | '[' | ']', None), ('string', str) or ('word', str)."""
    tokens: list[tuple[str, Any]] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()[]":
            tokens.append((c, None))
            i += 1
        elif c == '"':
            try:
                value, end = _DECODER.raw_decode(text, i)
            except json.JSONDecodeError:
                raise invalid_filter(f"Unterminated or malformed string at {i + 1}.") from None
            tokens.append(("string", value))
            i = end
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in '()[]"':
                i += 1
            tokens.append(("word", text[start:i]))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def next(self, what: str) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise invalid_filter(f"The filter ends where {what} was expected.")
        self.at += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() in words:
            self.at += 1
            return str(token[1]).lower()
        return None

    def expect(self, kind: str) -> None:
        token = self.next(f"{kind!r}")
        if token[0] != kind:
            raise invalid_filter(f"Expected {kind!r}, found {_show(token)}.")

    def parse(self) -> Filter:
        tree = self.or_(0)
        if self.peek() is not None:
            raise invalid_filter(f"Unexpected {_show(self.tokens[self.at])} in the filter.")
        return tree

    def or_(self, depth: int) -> Filter:
        if depth > MAX_DEPTH:
            raise invalid_filter(f"Filters nest at most {MAX_DEPTH} levels deep.")
        left = self.and_(depth)
        while self.keyword("or"):
            left = Or(left, self.and_(depth))
        return left

    def and_(self, depth: int) -> Filter:
        left = self.unary(depth)
        while self.keyword("and"):
            left = And(left, self.unary(depth))
        return left

    def unary(self, depth: int) -> Filter:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == "not":
            self.at += 1
            self.expect("(")
            inner = self.or_(depth + 1)
            self.expect(")")
            return Not(inner)
        if token is not None and token[0] == "(":
            self.at += 1
            inner = self.or_(depth + 1)
            self.expect(")")
            return inner
        return self.expression(depth)

    def expression(self, depth: int) -> Filter:
        token = self.next("an attribute")
        if token[0] != "word":
            raise invalid_filter(f"Expected an attribute, found {_show(token)}.")
        try:
            path = parse_attr_path(token[1])
        except ValueError:
            raise invalid_filter(f"{token[1]!r} is not an attribute path.") from None
        following = self.peek()
        if following is not None and following[0] == "[":
            if path.sub_attribute is not None:
                raise invalid_filter(f"{path}: a value filter follows an attribute.")
            self.at += 1
            inner = self.or_(depth + 1)
            self.expect("]")
            return ValuePath(path, inner)
        operator = self.next(f"an operator after {path}")
        op = str(operator[1]).lower() if operator[0] == "word" else ""
        if op == "pr":
            return Present(path)
        if op not in COMPARE_OPERATORS:
            raise invalid_filter(
                f"Unknown operator {_show(operator)} after {path}: use eq, ne, co, sw, ew,"
                " gt, lt, ge, le or pr."
            )
        return Compare(path, op, self.value(path))

    def value(self, path: AttrPath) -> Value:
        token = self.next(f"a value to compare {path} with")
        if token[0] == "string":
            return str(token[1])
        if token[0] == "word":
            word = str(token[1])
            if word.lower() in ("true", "false"):
                return word.lower() == "true"
            if word.lower() == "null":
                return None
            if _NUMBER.match(word):
                number = float(word)
                return int(number) if number.is_integer() and "." not in word else number
        raise invalid_filter(
            f'{_show(token)} is not a value: quote strings ("…"), or use true, false, null'
            " or a number."
        )


def _show(token: tuple[str, Any]) -> str:
    return repr(token[1]) if token[1] is not None else repr(token[0])


def parse_filter(text: str) -> Filter:
    """The filter's tree; a ScimError (400 invalidFilter) saying what is wrong otherwise."""
    if not text.strip():
        raise invalid_filter("The filter is empty.")
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter(f"Filters are at most {MAX_FILTER_LENGTH} characters long.")
    if (reason := unstorable_text(text)) is not None:
        raise invalid_filter(f"The filter: {reason}")
    return _Parser(text).parse()


def _compare(actual: Any, operator: str, expected: Value, case_exact: bool) -> bool:
    if actual is None:
        return operator == "ne" and expected is not None
    if isinstance(actual, bool) or isinstance(expected, bool):
        if operator not in ("eq", "ne"):
            return False
        return bool((actual == expected) == (operator == "eq"))
    if isinstance(actual, str) and isinstance(expected, str):
        if not case_exact:
            actual, expected = actual.lower(), expected.lower()
        outcome = {
            "eq": actual == expected,
            "ne": actual != expected,
            "co": expected in actual,
            "sw": actual.startswith(expected),
            "ew": actual.endswith(expected),
            "gt": actual > expected,
            "lt": actual < expected,
            "ge": actual >= expected,
            "le": actual <= expected,
        }
        return bool(outcome[operator])
    return False


def matches(element: Any, tree: Filter, case_exact: frozenset[str] = frozenset()) -> bool:
    """Whether one value of a multi-valued attribute (a JSON object) matches a value filter,
    whose paths name its sub-attributes (`case_exact`: those compared case-sensitively)."""
    if isinstance(tree, And):
        return matches(element, tree.left, case_exact) and matches(element, tree.right, case_exact)
    if isinstance(tree, Or):
        return matches(element, tree.left, case_exact) or matches(element, tree.right, case_exact)
    if isinstance(tree, Not):
        return not matches(element, tree.inner, case_exact)
    if isinstance(tree, ValuePath):
        raise invalid_filter("Value filters do not nest.")
    if tree.path.sub_attribute is not None:
        raise invalid_filter(f"{tree.path}: name a sub-attribute alone inside [ ].")
    name = tree.path.attribute.lower()
    actual = None
    if isinstance(element, dict):
        actual = next((v for k, v in element.items() if k.lower() == name), None)
    if isinstance(tree, Present):
        return actual is not None and actual != "" and actual != []
    return _compare(actual, tree.operator, tree.value, name in case_exact)

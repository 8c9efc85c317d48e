"""Value expressions: a tiny arithmetic language for value-equation rules.

`quantity * hour_rate`, `min(quantity, 8) * 25 + 5`. Numbers, whitelisted names, `+ - * /`,
parentheses, `min` and `max`. Python's parser reads the text (it never runs it); every node is
checked against the whitelist and anything else is refused, naming the offending part. Evaluation
is exact, in Decimal.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext

from .errors import Invalid

MAX_LENGTH = 200
MAX_DEPTH = 20
NAME_FUNCTIONS = {"min", "max"}
OPERATORS: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Expression:
    """A checked expression, ready to evaluate."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, variables: Mapping[str, Decimal]) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = 40
            ctx.traps[DivisionByZero] = True
            ctx.traps[InvalidOperation] = True
            try:
                return _eval(self.tree, variables)
            except (DivisionByZero, InvalidOperation):
                raise Invalid.field(
                    "expression", f"'{self.text}' divides by zero with these values."
                ) from None


def _fail(text: str, node: ast.AST, why: str) -> Invalid:
    # The parser counts columns in UTF-8 bytes, per line: turn them into characters of `text`.
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text) or [""]
    line = min(max(getattr(node, "lineno", 1), 1), len(lines))
    column = getattr(node, "col_offset", 0)
    start = sum(map(len, lines[: line - 1])) + len(
        lines[line - 1].encode()[:column].decode(errors="ignore")
    )
    part = ast.get_source_segment(text, node) or text[start : start + 1]
    return Invalid.field("expression", f"{why}: '{part}' at character {start + 1} of '{text}'.")


def parse(text: object, allowed: set[str] | frozenset[str]) -> Expression:
    """Check `text` against the whitelist; raise Invalid naming the offending part."""
    if not isinstance(text, str) or not text.strip():
        raise Invalid.field("expression", "Write an expression, such as 'quantity * 25'.")
    source = text.strip()
    if len(source) > MAX_LENGTH:
        raise Invalid.field("expression", f"Keep expressions under {MAX_LENGTH} characters.")
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        where = f" at character {exc.offset}" if exc.offset else ""
        raise Invalid.field("expression", f"'{source}' is not a valid expression{where}.") from None
    names: set[str] = set()
    _check(source, tree, frozenset(allowed), names, depth=0)
    return Expression(source, tree, frozenset(names))


def _check(text: str, node: ast.AST, allowed: frozenset[str], names: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _fail(text, node, "The expression is nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _fail(text, node, "Only numbers are allowed as constants")
        if not _number(node).is_finite():
            raise _fail(text, node, "This number is too large")
        return
    if isinstance(node, ast.Name):
        if node.id not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise _fail(text, node, f"Unknown name (known: {known})")
        names.add(node.id)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in OPERATORS:
            raise _fail(text, node, "Only + - * / are allowed")
        if isinstance(node.op, ast.Div) and _is_zero(node.right):
            raise _fail(text, node.right, "Division by zero")
        _check(text, node.left, allowed, names, depth + 1)
        _check(text, node.right, allowed, names, depth + 1)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(text, node.operand, allowed, names, depth + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in NAME_FUNCTIONS:
            raise _fail(text, node.func, "Only min(…) and max(…) can be called")
        if node.keywords or not node.args:
            raise _fail(text, node, "min and max take one or more plain arguments")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _fail(text, arg, "min and max take plain arguments")
            _check(text, arg, allowed, names, depth + 1)
        return
    raise _fail(text, node, "Not allowed here")


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and not isinstance(node.value, bool) and node.value == 0


def _number(node: ast.Constant) -> Decimal:
    # The literal's own digits: 0.1 stays exactly one tenth.
    return Decimal(repr(node.value))


def _eval(node: ast.expr, variables: Mapping[str, Decimal]) -> Decimal:
    if isinstance(node, ast.Constant):
        return _number(node)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, variables)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, variables), _eval(node.right, variables)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        values = [_eval(arg, variables) for arg in node.args]
        return min(values) if node.func.id == "min" else max(values)
    raise TypeError(f"unchecked node {ast.dump(node)}")  # parse() never lets one through


def affine(
    expression: Expression, name: str, others: Mapping[str, Decimal]
) -> tuple[Decimal, Decimal] | None:
    """(a, b) with expression = a·name + b for every value of `name`, the other names fixed to
    `others`; None when `name` sits inside min/max or a divisor. A distribution then sums
    quantities in SQL instead of evaluating row by row."""
    if name not in expression.names:
        return Decimal(0), expression.evaluate({**others, name: Decimal(0)})
    if not _linear(expression.tree, name):
        return None
    b = expression.evaluate({**others, name: Decimal(0)})
    a = expression.evaluate({**others, name: Decimal(1)}) - b
    return a, b


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _linear(node: ast.expr, name: str) -> bool:
    if not _mentions(node, name):
        return True
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.UnaryOp):
        return _linear(node.operand, name)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add | ast.Sub):
            return _linear(node.left, name) and _linear(node.right, name)
        if isinstance(node.op, ast.Mult):
            left, right = _mentions(node.left, name), _mentions(node.right, name)
            if left and right:
                return False
            return _linear(node.left if left else node.right, name)
        return not _mentions(node.right, name) and _linear(node.left, name)  # x / c
    return False  # min/max over the name

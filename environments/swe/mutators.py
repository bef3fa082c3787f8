"""Bug injection with libcst, SWE-smith style: one small change inside a function.

Each mutator names a kind of site (a comparison, a binary operator, an `if`,
an integer, a statement, a call's arguments). `count_sites` finds how many a
module has; `mutate` changes the k-th one and returns the new source, or None
when the change would be a no-op. Only code inside functions is touched, so a
bug breaks behaviour, not the import.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

_COMPARISONS = {
    cst.LessThan: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.LessThan,
    cst.GreaterThan: cst.LessThanEqual, cst.LessThanEqual: cst.GreaterThan,
    cst.Equal: cst.NotEqual, cst.NotEqual: cst.Equal,
    cst.In: cst.NotIn, cst.NotIn: cst.In, cst.Is: cst.IsNot, cst.IsNot: cst.Is,
}
_BINARY = {
    cst.Add: cst.Subtract, cst.Subtract: cst.Add, cst.Multiply: cst.FloorDivide,
    cst.FloorDivide: cst.Multiply, cst.Modulo: cst.FloorDivide, cst.BitAnd: cst.BitOr,
    cst.BitOr: cst.BitAnd, cst.LeftShift: cst.RightShift, cst.RightShift: cst.LeftShift,
}
_BOOLEAN = {cst.And: cst.Or, cst.Or: cst.And}


def _flip_comparison(node: cst.CSTNode) -> cst.CSTNode | None:
    if isinstance(node, cst.ComparisonTarget) and type(node.operator) in _COMPARISONS:
        return node.with_changes(operator=_COMPARISONS[type(node.operator)]())
    return None


def _swap_operator(node: cst.CSTNode) -> cst.CSTNode | None:
    if isinstance(node, cst.BinaryOperation) and type(node.operator) in _BINARY:
        return node.with_changes(operator=_BINARY[type(node.operator)]())
    if isinstance(node, cst.BooleanOperation):
        return node.with_changes(operator=_BOOLEAN[type(node.operator)]())
    return None


def _invert_condition(node: cst.CSTNode) -> cst.CSTNode | None:
    if not isinstance(node, (cst.If, cst.While)):
        return None
    test = node.test
    if isinstance(test, cst.Name) and test.value in ("True", "False"):
        return None  # `while not True` is a dead loop, not a plausible bug
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return node.with_changes(test=test.expression)  # `if not x` -> `if x`
    return node.with_changes(test=cst.UnaryOperation(
        cst.Not(), cst.ensure_type(_parenthesize(test), cst.BaseExpression)))


def _parenthesize(expr: cst.BaseExpression) -> cst.BaseExpression:
    simple = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)
    if isinstance(expr, simple) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _off_by_one(node: cst.CSTNode) -> cst.CSTNode | None:
    if not isinstance(node, cst.Integer):
        return None
    try:
        value = int(node.value.replace("_", ""), 0)
    except ValueError:
        return None
    # Small numbers are indices and bounds: the classic off-by-one. 0 goes up, others down.
    if value > 64:
        return None
    return node.with_changes(value=str(value + 1 if value == 0 else value - 1))


def _remove_statement(node: cst.CSTNode) -> cst.CSTNode | cst.RemovalSentinel | None:
    if not isinstance(node, cst.SimpleStatementLine) or len(node.body) != 1:
        return None
    statement = node.body[0]
    if isinstance(statement, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        return cst.RemoveFromParent()
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
        return cst.RemoveFromParent()
    return None


def _swap_arguments(node: cst.CSTNode) -> cst.CSTNode | None:
    if not isinstance(node, cst.Call) or len(node.args) < 2:
        return None
    first, second = node.args[0], node.args[1]
    if first.keyword or second.keyword or first.star or second.star:
        return None
    if first.value.deep_equals(second.value):
        return None
    args = [first.with_changes(value=second.value), second.with_changes(value=first.value)]
    return node.with_changes(args=[*args, *node.args[2:]])


Mutator = Callable[[cst.CSTNode], "cst.CSTNode | cst.RemovalSentinel | None"]
MUTATORS: dict[str, Mutator] = {
    "flip_comparison": _flip_comparison,
    "swap_operator": _swap_operator,
    "invert_condition": _invert_condition,
    "off_by_one": _off_by_one,
    "remove_statement": _remove_statement,
    "swap_arguments": _swap_arguments,
}


class _SiteTransformer(cst.CSTTransformer):
    """Counts the sites of one mutator inside functions; rewrites the `target`-th one."""

    def __init__(self, mutator: Mutator, target: int = -1) -> None:
        super().__init__()
        self.mutator, self.target = mutator, target
        self.count = 0
        self.depth = 0  # how many function bodies we are in
        self.in_docstring_or_decorator = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return True

    def leave_FunctionDef(self, original, updated):
        self.depth -= 1
        return updated

    def visit_Decorator(self, node: cst.Decorator) -> bool:
        return False  # decorators run at import: a bug there breaks everything

    def visit_Annotation(self, node: cst.Annotation) -> bool:
        return False

    def on_leave(self, original, updated):
        updated = super().on_leave(original, updated)
        if self.depth == 0 or isinstance(updated, cst.RemovalSentinel):
            return updated
        if isinstance(original, cst.FunctionDef):
            return updated
        if self.mutator(original) is None:
            return updated
        index, self.count = self.count, self.count + 1
        if index != self.target:
            return updated
        changed = self.mutator(updated)
        return updated if changed is None else changed


def count_sites(module: cst.Module, kind: str) -> int:
    visitor = _SiteTransformer(MUTATORS[kind])
    module.visit(visitor)
    return visitor.count


def mutate(source: str, kind: str, index: int) -> str | None:
    """The source with the `index`-th `kind` site changed, or None if nothing changed."""
    try:
        new = cst.parse_module(source).visit(_SiteTransformer(MUTATORS[kind], index)).code
        compile(new, "<mutant>", "exec")
    except (cst.ParserSyntaxError, SyntaxError, ValueError):
        return None
    if new == source:
        return None
    return new


def sites(source: str) -> dict[str, int]:
    """How many sites of each kind `source` has (0 for a file libcst cannot parse)."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return dict.fromkeys(MUTATORS, 0)
    return {kind: count_sites(module, kind) for kind in MUTATORS}

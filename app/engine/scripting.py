"""The only Python a BPMN file may run: expressions and scripts over task data, calling
nothing but safe builtins and the functions the app registers.

Two guards: `check_source` refuses a file at deploy time (imports, dunder access, calls to
anything unregistered), and the run-time environment has no builtins beyond the safe list,
so even an unchecked string cannot reach `open` or `__import__`.
"""
import ast
import builtins
from collections.abc import Callable
from contextvars import ContextVar

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float",
        "int", "isinstance", "len", "list", "map", "max", "min", "range", "reversed",
        "round", "set", "sorted", "str", "sum", "tuple", "zip", "True", "False", "None",
    )
}

#: The globals every expression and script runs with: the safe builtins and the registered
#: functions. The script engine holds this very dict, so a function registered later is
#: callable at once.
_globals: dict[str, object] = {"__builtins__": dict(SAFE_BUILTINS)}


def register(name: str | None = None):
    """Decorator: make a function callable from BPMN expressions and scripts."""

    def wrap(fn: Callable) -> Callable:
        _globals[name or fn.__name__] = fn
        return fn

    return wrap


def registered_names() -> set[str]:
    return set(_globals) - {"__builtins__"}


def registered_functions() -> dict[str, Callable]:
    """name -> function of everything BPMN code may call beyond the safe builtins."""
    return {name: fn for name, fn in _globals.items() if name != "__builtins__"}


# str.format can walk attributes from inside a string ("{0.__class__}"), so it is refused too.
_FORBIDDEN_ATTRS = {"format", "format_map"}


class ScriptRejected(ValueError):
    pass


def check_source(source: str, mode: str) -> None:
    """Raise ScriptRejected if `source` does anything beyond reading data and calling allowed names."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise ScriptRejected(f"syntax error: {exc.msg}") from None
    callable_names = set(SAFE_BUILTINS) | registered_names()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ScriptRejected("imports are not allowed")
        if isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda, ast.FunctionDef,
                             ast.AsyncFunctionDef, ast.ClassDef)):
            raise ScriptRejected(f"{type(node).__name__} is not allowed")
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr in _FORBIDDEN_ATTRS):
            raise ScriptRejected(f"access to '{node.attr}' is not allowed")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise ScriptRejected(f"name '{node.id}' is not allowed")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id not in callable_names):
            raise ScriptRejected(f"'{node.func.id}' is not a registered function")


#: The data of the task whose expression or script is running, for registered functions that need
#: the case's facts (e.g. deadline() reads request_type, klass, complexity and level).
current_task_data: ContextVar[dict | None] = ContextVar("current_task_data", default=None)
#: The user whose completed task is running the process on (None: a timer, the requester, the
#: system), for registered functions that record who decided (e.g. the reviewer of an appeal).
current_actor: ContextVar[int | None] = ContextVar("current_actor", default=None)


class _Environment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment that also publishes the task data it evaluates in."""

    def evaluate(self, expression, context, external_context=None):
        token = current_task_data.set(context)
        try:
            return super().evaluate(expression, context, external_context)
        finally:
            current_task_data.reset(token)

    def execute(self, script, context, external_context=None):
        token = current_task_data.set(context)
        try:
            return super().execute(script, context, external_context)
        finally:
            current_task_data.reset(token)


def build_script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=_Environment(_globals))

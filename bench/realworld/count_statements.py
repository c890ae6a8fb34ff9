"""CPU instructions (callgrind) of each statement of one Python function on a realworld
transaction: the function is compiled again with a `return` inserted before its n-th statement
(the body's statements and, one level down, those of its `try`, `if` and `else` blocks), each
variant is put in place and the session's transactions are counted; the difference between two
consecutive variants is what the statements between them cost, callees included. Starts itself
under valgrind.

    python bench/realworld/count_statements.py call/stop_contract jitvm.api:EVM._transact [--engine baseline]

A variant that returns early leaves the transaction unfinished (no frame run, no result), so only
the differences up to the statement that runs the frame say what the function's own steps cost;
the last row (no return inserted) is the whole transaction. The state a cut-short variant leaves
is not what a transaction leaves, but the path these counts follow is the usual one if the
function's early steps do not depend on what the previous transaction finished.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import textwrap

from callgrind_run import instructions_per_run, rerun_under_callgrind  # this script's folder is on sys.path
from jitvm.bench.counting import InstructionCounter

LOOPS = 100


def _cut_points(function: ast.FunctionDef) -> list[tuple[list, int, int]]:
    """(statement list, index, line) for every statement of the body, and of the blocks one level down."""
    points = []
    for index, statement in enumerate(function.body):
        points.append((function.body, index, statement.lineno))
        for block in (getattr(statement, "body", None), getattr(statement, "orelse", None)):
            if isinstance(statement, (ast.Try, ast.If)) and block:
                for inner_index, inner in enumerate(block):
                    points.append((block, inner_index, inner.lineno))
    return points


def _variants(function) -> list[tuple[str, object]]:
    """(label, function) for each cut point (a `return` before that statement), then the original."""
    source = textwrap.dedent(inspect.getsource(function))
    lines = source.splitlines()
    first_line = inspect.getsourcelines(function)[1]
    module = inspect.getmodule(function)
    variants = []
    for position in range(len(_cut_points(ast.parse(source).body[0]))):
        tree = ast.parse(source)
        definition = tree.body[0]
        definition.decorator_list = []
        block, index, line = _cut_points(definition)[position]
        block.insert(index, ast.Return(value=ast.Constant(b"")))  # what Session.run can take
        ast.fix_missing_locations(tree)
        namespace: dict = {}
        exec(compile(tree, inspect.getsourcefile(function), "exec"), module.__dict__, namespace)
        label = f"{first_line + line - 1}: {lines[line - 1].strip()[:60]}"
        variants.append((label, namespace[definition.name]))
    variants.append(("(whole function)", function))
    return variants


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("function", help="module:qualified name, e.g. jitvm.api:EVM._transact")
    parser.add_argument("--engine", default="baseline")
    args = parser.parse_args()
    rerun_under_callgrind()

    from jitvm.bench.realworld import _session

    module_name, qualname = args.function.split(":")
    owner = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    counter = InstructionCounter()
    session = _session(args.workload, args.engine)
    for _ in range(5):
        session.run()
    last = None
    for label, variant in _variants(original):
        setattr(owner, name, variant)
        try:
            count = instructions_per_run(counter, session.run, LOOPS)
        except (RuntimeError, TypeError):  # a variant cut short may leave the EVM unable to run the next call
            count = float("nan")
        finally:
            setattr(owner, name, original)
            for _ in range(3):
                session.run()
        step = "" if last is None else f"{count - last:+10.0f}"
        print(f"{count:10.0f} {step:>10}  {label}", flush=True)
        last = count


if __name__ == "__main__":
    main()

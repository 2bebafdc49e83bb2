"""The largest modules, functions and parameter lists of the package.

    python tools/code_sizes.py [--top 15] [src/classifier]

The project's limits: modules of at most about 350 lines, functions of at most about 60
lines, at most 8 parameters. A function may go beyond when a ``# sizes: <why>`` comment
sits in the two lines above its ``def`` (or its decorators). ``tests/test_code_sizes.py``
applies the limits to the whole package.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60
MAX_PARAMETERS = 8
EXPLAINED = "# sizes:"
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "classifier"


@dataclass(frozen=True)
class Function:
    """One function or method: where it is, its length in lines and its parameter count."""

    module: str
    name: str
    line: int
    lines: int
    parameters: int
    explained: bool


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    args = node.args
    names = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    names += [a for a in (args.vararg, args.kwarg) if a is not None]
    return sum(a.arg not in ("self", "cls") for a in names)


def functions(path: Path, root: Path) -> Iterator[Function]:
    """Every function and method of ``path``, nested ones included."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    module = module_name(path, root)
    stack: list[tuple[ast.AST, str]] = [(ast.parse(source), "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                stack.append((child, f"{prefix}{child.name}."))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                above = "\n".join(lines[max(first - 3, 0) : first - 1])
                yield Function(
                    module,
                    f"{prefix}{child.name}",
                    child.lineno,
                    child.end_lineno - child.lineno + 1,
                    _parameters(child),
                    EXPLAINED in above,
                )
                stack.append((child, f"{prefix}{child.name}."))


def modules(root: Path = PACKAGE) -> list[tuple[str, int]]:
    """(module, line count) of every module under ``root``, largest first."""
    found = [
        (module_name(p, root), len(p.read_text(encoding="utf-8").splitlines()))
        for p in sorted(root.rglob("*.py"))
    ]
    return sorted(found, key=lambda item: -item[1])


def all_functions(root: Path = PACKAGE) -> list[Function]:
    """Every function under ``root``, longest first."""
    found = [f for p in sorted(root.rglob("*.py")) for f in functions(p, root)]
    return sorted(found, key=lambda f: -f.lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=PACKAGE)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    print("| module | lines |\n| --- | ---: |")
    for name, n in modules(args.root)[: args.top]:
        print(f"| {name} | {n} |")
    funcs = all_functions(args.root)
    print("\n| function | lines | parameters |\n| --- | ---: | ---: |")
    for f in funcs[: args.top]:
        print(f"| {f.module}:{f.name} | {f.lines} | {f.parameters} |")
    print("\n| most parameters | parameters | lines |\n| --- | ---: | ---: |")
    for f in sorted(funcs, key=lambda f: -f.parameters)[: args.top]:
        print(f"| {f.module}:{f.name} | {f.parameters} | {f.lines} |")


if __name__ == "__main__":
    main()

"""Imports run one way, down DESIGN.md's floors: checked by reading every module's imports with
``ast`` (those inside functions and ``TYPE_CHECKING`` blocks included), without importing it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "scsim"

# DESIGN.md's floors (cli → api → report, experiments → audit → results → engine → mechanisms →
# population, rules, scenario → core; docsgen beside the command line, above what it documents):
# each box and the boxes it may import besides itself. ``api`` is the face (api.py) and ``scsim``
# the package's root, which imports the face lazily.
_ENGINE = {"core", "rules", "scenario", "population", "mechanisms"}
MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    "rules": {"core"},
    "scenario": {"core", "rules"},
    "population": {"core"},
    "mechanisms": {"core", "rules", "scenario", "population"},
    "engine": _ENGINE,
    "results": _ENGINE | {"engine"},
    "audit": _ENGINE | {"engine", "results"},
    "experiments": _ENGINE | {"engine", "results", "audit"},
    # the report draws runs and experiments (an experiment's report reads its directory)
    "report": _ENGINE | {"engine", "results", "audit", "experiments"},
    "docsgen": _ENGINE | {"engine"},
    "api": _ENGINE | {"engine", "results", "audit", "experiments", "report"},
    "cli": _ENGINE | {"engine", "results", "audit", "experiments", "report", "api"},
}


def box_of(module: str) -> str:
    """``scsim.engine.stages`` → ``engine``; ``scsim.api`` → ``api``; ``scsim`` → ``scsim``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every scsim import in ``path``."""
    package = ["scsim", *path.relative_to(PACKAGE).parent.parts]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(text: str, package: list[str]) -> list[tuple[int, str]]:
    """(line, absolute module name) of every scsim import in a module of ``package``."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module == "scsim" or (node.level and not node.module):  # from scsim import engine
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return [(line, m) for line, m in found if m == "scsim" or m.startswith("scsim.")]


def modules_of(box: str) -> list[Path]:
    if (PACKAGE / f"{box}.py").is_file():  # a box of one module: api.py
        return [PACKAGE / f"{box}.py"]
    return sorted((PACKAGE / box).rglob("*.py"))


def test_every_module_belongs_to_a_box() -> None:
    """A new folder or top-level module needs its floor in the table (DESIGN.md: a file belongs
    to exactly one box)."""
    top = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
           if (p.is_dir() and any(p.glob("*.py"))) or p.suffix == ".py"}  # fmt: skip
    assert top - set(MAY_IMPORT) == {"__init__", "__main__"}


def test_nothing_but_the_entry_point_imports_the_command_line() -> None:
    for path in PACKAGE.rglob("*.py"):
        name = path.relative_to(PACKAGE).as_posix()
        if name.startswith("cli/") or name == "__main__.py":
            continue
        for line, module in imported_modules(path):
            assert box_of(module) != "cli", f"{name}:{line}: imports {module}"


# The one way up: a Run's notebook methods (``run.audit()``, ``run.report()``) call the verbs of
# the boxes above it, importing them inside the method, when called — never when loading.
CALLED_UPWARD = {("results/store.py", "scsim.audit.metrics"), ("results/store.py", "scsim.report.write")}  # fmt: skip


def lines_inside_functions(path: Path) -> set[int]:
    """The lines of the import statements of ``path`` that sit inside a function's body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        inner.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    }


@pytest.mark.parametrize("box", sorted(MAY_IMPORT))
def test_a_box_imports_only_the_floors_below_it(box: str) -> None:
    assert modules_of(box), f"no modules in {box}/"
    problems = []
    for path in modules_of(box):
        name = path.relative_to(PACKAGE).as_posix()
        inside = lines_inside_functions(path)
        for line, module in imported_modules(path):
            target = box_of(module)
            if target == box or target in MAY_IMPORT[box]:
                continue
            if (name, module) in CALLED_UPWARD and line in inside:
                continue
            if module == "scsim.__version__":  # the package's version: a fact for every box
                continue
            problems.append(f"{name}:{line}: imports {module}")
    assert not problems, "\n".join(problems)


def test_the_ground_floor_imports_nothing_else_of_scsim() -> None:
    for path in modules_of("core"):
        for line, module in imported_modules(path):
            assert module.startswith("scsim.core"), f"core/{path.name}:{line}: imports {module}"


def test_the_reader_sees_relative_and_nested_imports() -> None:
    """The check reads imports inside functions and resolves relative ones."""
    text = (
        "from . import jurisdiction\n"
        "from .attributes import take\n"
        "import numpy as np\n"
        "def f():\n"
        "    from scsim.engine import stages\n"
        "    import scsim.results.store\n"
    )
    assert sorted(m for _, m in imports_in(text, ["scsim", "mechanisms"])) == [
        "scsim.engine",
        "scsim.mechanisms.attributes",
        "scsim.mechanisms.jurisdiction",
        "scsim.results.store",
    ]
    assert box_of("scsim.engine.stages") == "engine" and box_of("scsim.api") == "api"


def test_the_run_calls_the_audit_and_the_report_only_when_asked(tmp_path: Path) -> None:
    """The way up is open inside a method only: at module level it is still refused."""
    module = tmp_path / "store.py"
    module.write_text(
        "from scsim.audit.metrics import audit\n"
        "class Run:\n"
        "    def report(self):\n"
        "        from scsim.report.write import write_report\n"
    )
    assert lines_inside_functions(module) == {4}

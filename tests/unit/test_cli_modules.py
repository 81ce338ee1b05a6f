"""The CLI's modules import one way, app -> groups -> shared modules, with no cycle; and an error nobody expected
is still told in one line, naming its type and place but not its message (which may quote personal data)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from starter.cli import common

CLI = Path(common.__file__).parent
SHARED = {"common", "histories"}


def cli_imports() -> dict[str, set[str]]:
    """Each module of starter.cli and the modules of starter.cli it imports (at any level of the file)."""
    graph: dict[str, set[str]] = {}
    for path in CLI.glob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "starter.cli":
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("starter.cli."):
                names.add(node.module.removeprefix("starter.cli."))
            elif isinstance(node, ast.Import):
                names |= {a.name.removeprefix("starter.cli.") for a in node.names if a.name.startswith("starter.cli.")}
        graph[path.stem] = names
    return graph


def test_the_cli_modules_have_no_import_cycle() -> None:
    graph = cli_imports()
    assert {
        "app",
        "common",
        "case",
        "cases",
        "audit",
        "stats",
        "actors",
        "keys",
        "schedules",
        "policies",
        "stack",
    } <= graph.keys()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        for imported in graph.get(module, set()):
            visit(imported, (*path, module))

    for module in graph:
        visit(module, ())


def test_imports_run_from_app_to_groups_to_the_shared_modules() -> None:
    graph = cli_imports()
    groups = graph.keys() - SHARED - {"app", "__init__"}
    assert graph["app"] >= groups
    for group in groups:
        assert graph[group] <= SHARED, f"{group} imports {graph[group] - SHARED}"
    assert graph["common"] == set() and graph["histories"] == {"common"}
    assert graph["__init__"] == {"app"}  # only when main() runs


def test_an_unexpected_error_names_its_type_and_place_only(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        {}["Ana Popescu"]
    except KeyError as exc:
        code = common.report(exc, as_json=False, debug=False)
    assert code == 1
    line = capsys.readouterr().err
    assert line.startswith("error: internal error: KeyError at test_cli_modules.py:") and "Popescu" not in line
    assert line.endswith("(a bug; --debug or NRM_DEBUG=1 shows the traceback)\n") and line.count("\n") == 1

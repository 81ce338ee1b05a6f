"""The CLI's modules import one way, app -> groups -> shared modules, with no cycle; the app loads a group only to
run it, and `nrm --help` loads none of them nor the Temporal SDK; an error nobody expected is still told in one
line, naming its type and place but not its message (which may quote personal data)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio import workflow

from domain.person_registry import REGISTER
from domain.roles import Act
from starter import client
from starter.cli import app, common
from workflows.case import CaseWorkflow
from workflows.person_registry import PersonRegistryWorkflow

CLI = Path(common.__file__).parent
SHARED = {"common", "histories", "bulk"}


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
    assert graph["app"] == {"common"}  # it names the groups (app.COMMANDS) and imports each only to run it
    assert {listed.module.removeprefix("starter.cli.") for listed in app.COMMANDS.values()} == groups
    for group in groups:
        assert graph[group] <= SHARED, f"{group} imports {graph[group] - SHARED}"
    assert graph["common"] == set() and graph["histories"] == {"common"} and graph["bulk"] == {"common"}
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


def test_nrm_help_lists_every_command_by_its_own_help_line() -> None:
    for name, listed in app.COMMANDS.items():
        command = app.load(name)
        assert command.name == name
        assert " ".join((command.help or "").split("\n\n")[0].split()) == listed.help, name


def imported_by(*args: str) -> tuple[str, set[str]]:
    """What `nrm ARGS` prints and the modules it imported, in a fresh interpreter."""
    probe = (
        "import json, sys\n"
        "from starter.cli.app import app\n"
        "try:\n"
        f"    app({list(args)!r}, standalone_mode=False)\n"
        "finally:\n"
        "    print(json.dumps(sorted(sys.modules)), file=sys.__stderr__)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return run.stdout, set(json.loads(run.stderr.splitlines()[-1]))


def test_nrm_help_imports_neither_the_temporal_sdk_nor_pydantic_nor_any_command() -> None:
    """What keeps `nrm --help` fast (README "Performance"), checked by what it imports rather than by a timing."""
    shown, loaded = imported_by("--help")
    assert "nrmflow: National Referral Mechanism cases" in shown and "setup" in shown
    for heavy in ("temporalio", "pydantic", "cryptography", "structlog", "domain.requests", "starter.client"):
        assert heavy not in loaded, f"nrm --help imports {heavy}"
    assert not {m for m in loaded if m.startswith("starter.cli.")} - {"starter.cli.app"}


def test_an_act_imports_neither_the_case_workflow_nor_the_activities_nor_the_audit() -> None:
    shown, loaded = imported_by("case", "decide", "--help")
    assert "Record a Stage 1" in shown
    assert "workflows.case" not in loaded and "starter.audit.history" not in loaded
    assert not {m for m in loaded if m.split(".")[0] == "activities"}
    cli = {m.removeprefix("starter.cli.") for m in loaded if m.startswith("starter.cli.")}
    assert cli == {"app", "case", "common"}


def test_the_client_names_the_case_workflow_as_it_is_defined() -> None:
    """The client library names the workflow, its Updates and its query instead of importing its module."""
    definition = workflow._Definition.must_from_class(CaseWorkflow)
    assert definition.name == client.CASE_WORKFLOW
    assert client.STATUS_QUERY in definition.queries
    acts = {a.value for a in Act} - {Act.OPEN_CASE.value, Act.EXPORT_PERSONAL_DATA.value}
    assert acts == set(definition.updates)


def test_the_client_names_the_person_registry_as_it_is_defined() -> None:
    definition = workflow._Definition.must_from_class(PersonRegistryWorkflow)
    assert definition.name == client.REGISTRY_WORKFLOW
    assert set(definition.updates) == {REGISTER}

"""`nrm policies list`: the jurisdiction policies available for new cases."""

from __future__ import annotations

import typer

from domain.policy import list_policies
from domain.times import spoken
from starter.cli.common import JsonOpt, emit, out, runs, settings

app = typer.Typer(help="Jurisdiction policies.", no_args_is_help=True)


@app.command("list")
@runs
def policies_list(as_json: JsonOpt = False) -> None:
    """The jurisdiction policies available for new cases."""
    policies = list_policies(settings().policy_dir)
    rows = [p.model_dump(mode="json") for p in policies]  # durations as ISO 8601 (P5D, PT48H, P90D)

    def human() -> None:
        for p in policies:
            out.print(
                f"{p.label}: {p.title} (Stage 1 within {spoken(p.stage1.due_adult)}, child "
                f"{spoken(p.stage1.due_child)}; R&R {spoken(p.rr.period)})",
                markup=False,
            )

    emit(as_json, rows, human)

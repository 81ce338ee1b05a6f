"""`nrm schedules apply`: the coordinators' daily digest schedule."""

from __future__ import annotations

import typer

from starter.cli.common import JsonOpt, emit, out, runs, settings
from starter.client import NrmClient

app = typer.Typer(help="Temporal Schedules: the coordinators' daily digest.", no_args_is_help=True)


@app.command("apply")
@runs
async def schedules_apply(as_json: JsonOpt = False) -> None:
    """Create or update the daily digest schedule (NRM_DIGEST_HOUR, NRM_DIGEST_TIMEZONE); safe to repeat."""
    from starter.schedules import apply_schedules

    client = await NrmClient.connect(settings())
    applied = await apply_schedules(client.client, client.settings)

    def human() -> None:
        for sid, what in applied.items():
            out.print(f"{sid}: {what}")

    emit(as_json, applied, human)

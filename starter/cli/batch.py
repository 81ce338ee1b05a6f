"""`nrm batch FILE`: a file of acts (JSON Lines), each carried out once, through one connection."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from starter.batch import DEFAULT_CONCURRENCY, read_acts
from starter.cli import bulk
from starter.cli.common import ConcurrencyOpt, JsonOpt, actor, runs


@runs
async def batch(
    file: Annotated[Path, typer.Argument(help="JSON Lines, one act per line; - for standard input.")],
    actor_: Annotated[
        str | None,
        typer.Option(
            "--as", envvar="NRM_ACTOR", help='Who acts where a line names no "as" (ROLE:ID).', show_default=False
        ),
    ] = None,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    as_json: JsonOpt = False,
) -> None:
    """Carry out a file of acts (JSON Lines), each once, through one connection.

    A line is an act of `nrm case` with the command's arguments and options as fields and a request id, e.g.
    {"act": "decide", "stage": "stage1", "reference": "NRM-...", "outcome": "positive", "reasons": "...",
    "request-id": "..."}: a re-run of the file acts once. A refused line is told with its number; the rest go on."""
    lines = bulk.lines_of(file)
    who = actor(actor_) if actor_ else None
    await bulk.run(read_acts(lines, who), total=len(lines), concurrency=concurrency, as_json=as_json, what="acts")

"""`nrm case personal-data` (the person's right of access) and `nrm retention` (when closed cases are deleted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from starter.cli import AsOpt, _actor, _client, _run, app, case_app, out, parse_duration
from plumbing.private_files import write_private
from starter.retention import namespace_retention, set_namespace_retention


@case_app.command("personal-data")
def case_personal_data(
    reference: Annotated[str, typer.Argument(help="Case reference")],
    actor: AsOpt,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the export to this file (owner-only) instead of stdout.")] = None,
) -> None:
    """Export, decrypted, everything held about the person in a case: referral, decisions, status (JSON)."""
    who = _actor(actor)

    async def go():
        return await (await _client()).personal_data(reference, who)

    export = _run(go())
    text = json.dumps(export.model_dump(mode="json"), indent=2, ensure_ascii=False)
    if output:
        write_private(output, text + "\n", replace=False)
        out.print(f"wrote {output}")
    else:
        out.file.write(text + "\n")


@app.command("retention")
def retention(
    apply: Annotated[bool, typer.Option("--apply", help="Set the namespace's retention to NRM_RETENTION.")] = False,
    period: Annotated[Optional[str], typer.Option(help="With --apply: this period instead, e.g. 365d.")] = None,
) -> None:
    """How long closed cases are kept before Temporal deletes them (the namespace's retention)."""

    async def go():
        client = await _client()
        if apply:
            wanted = parse_duration(period) if period else client.settings.retention
            await set_namespace_retention(client.client, wanted)
        return client.client.namespace, await namespace_retention(client.client)

    namespace, current = _run(go())
    out.print(f"namespace {namespace}: closed cases are deleted {current.days} days after they close")

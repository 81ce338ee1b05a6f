"""`nrm case provide`, `nrm case assess` and `nrm schedules apply`: recording what a case is owed, and the
coordinators' daily digest schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError

from domain.requests import AssessmentResult, AssessRequest, ProvideRequest
from starter.cli import (AsOpt, JsonOpt, RequestIdOpt, _actor, _carry_out, _client, _emit, _run, app, case_app, data_file,
                         fail, out)
from starter.client import invalid_input

schedules_app = typer.Typer(help="Temporal Schedules: the coordinators' daily digest.", no_args_is_help=True)
app.add_typer(schedules_app, name="schedules")

RefArg = Annotated[str, typer.Argument(help="Case reference, NRM-XXXX-XXXX")]
KindArg = Annotated[str, typer.Argument(help="Obligation kind, as `nrm case show` lists it (e.g. urgent_healthcare).")]


@case_app.command("provide")
def case_provide(
    reference: RefArg,
    kind: KindArg,
    actor: AsOpt,
    evidence: Annotated[str, typer.Option(help="Evidence note: what was done, a document reference.")] = "",
    at: Annotated[Optional[datetime], typer.Option(
        "--at", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"],
        help="When it was done (default now; UTC unless a zone is given). Late is accepted and recorded late.")] = None,
    not_needed: Annotated[str, typer.Option("--not-needed", help="Record it as not needed, with this reason "
                                                                 "(where the policy allows it).")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a provision as given (or not needed) by the role that owes it."""
    when = at if at is None or at.tzinfo else at.replace(tzinfo=UTC)
    request = ProvideRequest(actor=_actor(actor), kind=kind, when=when, evidence=evidence,
                             not_needed_reason=not_needed)

    _carry_out(reference, lambda client: client.provide(reference, request, request_id), as_json)


@case_app.command("assess")
def case_assess(
    reference: RefArg,
    kind: KindArg,
    actor: AsOpt,
    result: Annotated[Path, typer.Option("--result", help="The result as JSON or TOML: completed_at, summary, "
                                                          "next_review [, document].")],
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an assessment's result; its date of next review becomes the next obligation."""
    try:
        outcome = AssessmentResult.model_validate(data_file(result, "assessment result"))
    except ValidationError as exc:
        fail(str(invalid_input(exc, "assessment result")))
    request = AssessRequest(actor=_actor(actor), kind=kind, result=outcome)

    _carry_out(reference, lambda client: client.assess(reference, request, request_id), as_json)


@schedules_app.command("apply")
def schedules_apply(as_json: JsonOpt = False) -> None:
    """Create or update the daily digest schedule (NRM_DIGEST_HOUR, NRM_DIGEST_TIMEZONE); safe to repeat."""
    from starter.schedules import apply_schedules

    async def go():
        client = await _client()
        return await apply_schedules(client.client, client.settings)

    applied = _run(go())
    _emit(as_json, applied, lambda: [out.print(f"{sid}: {what}") for sid, what in applied.items()])

"""`nrm case ...`: open a case and record what happens in it. Each act shows the whole case as it then stands."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from domain.case import AgeFinding, ChallengeSubject, ClosureReason, JudgmentOutcome, Outcome, ReviewOutcome
from domain.consent import ConsentPurpose
from domain.permit_records import PermitAction, PermitGround, PermitType
from domain.proceeding_records import ProceedingKind
from domain.referral import Exploitation, Sex
from domain.requests import (
    AgeAssessmentRequest,
    AgeDisputeRequest,
    AppealRequest,
    AssessmentResult,
    AssessRequest,
    CheckInRequest,
    CloseRequest,
    ConsentRequest,
    ConsentWithdrawalRequest,
    DecisionRequest,
    DepartureRequest,
    ExtendRRRequest,
    FoundRequest,
    JudgmentRequest,
    MissingRequest,
    PermitRequest,
    ProceedingRequest,
    ProvideRequest,
    ReceptionRequest,
    ReconsiderationRequest,
    ReopenRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
    ReviewRequest,
)
from domain.status import ActResult
from domain.times import as_utc, parse_duration
from plumbing.private_files import write_private
from starter import render
from starter.batch import DEFAULT_CONCURRENCY, read_referrals, referral_data
from starter.cli.common import (
    AsOpt,
    AtOpt,
    ConcurrencyOpt,
    EvidenceOpt,
    InformedInOpt,
    JsonOpt,
    ReasonsOpt,
    RefArg,
    RequestIdOpt,
    actor,
    data_file,
    emit,
    err,
    out,
    runs,
    settings,
)
from starter.client import NrmClient, invalid_input
from starter.errors import BadInput

app = typer.Typer(help="Open a case and record what happens in it.", no_args_is_help=True)

OfOpt = Annotated[
    ChallengeSubject | None,
    typer.Option(
        "--of",
        help="What is challenged: stage1 or stage2 (a negative decision; the default is the one challenged), age "
        "(an adult age finding) or permit (a permit refusal).",
    ),
]
ChildViewsOpt = Annotated[
    str, typer.Option(help="A child: the child's views on the decision (required), or why they could not be heard.")
]
KindArg = Annotated[str, typer.Argument(help="Obligation kind, as `nrm case show` lists it (e.g. urgent_healthcare).")]


async def _client() -> NrmClient:
    return await NrmClient.connect(settings())


async def _carry_out(reference: str, act: Callable[[NrmClient], Awaitable[ActResult]], as_json: bool) -> None:
    """Carry out an act, then show the whole case as it now stands (an act itself returns it in brief)."""
    client = await _client()
    result = await act(client)
    status = (await client.status(reference)).model_copy(update={"repeated": result.repeated})
    if status.repeated:  # the caller learns that this call carried nothing out (its JSON says `repeated`)
        err.print(
            "repeat: this act was carried out earlier under its request id; nothing was done again",
            markup=False,
            highlight=False,
        )
    emit(as_json, status, lambda: render.show_case(out, status))


@app.command("open")
@runs
async def case_open(
    actor_: AsOpt,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Referral as JSON or TOML; flags override it.")
    ] = None,
    first_responder: Annotated[str | None, typer.Option(help="First responder id (default: the actor's id).")] = None,
    detected_on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Date of detection (default today).")
    ] = None,
    child: Annotated[bool | None, typer.Option("--child/--adult", help="Declared a child or an adult.")] = None,
    age_disputed: Annotated[
        bool | None, typer.Option("--age-disputed", help="Age is in doubt: treated as a child.")
    ] = None,
    sex: Annotated[Sex | None, typer.Option()] = None,
    exploitation: Annotated[list[Exploitation] | None, typer.Option(help="Exploitation type (repeatable).")] = None,
    cross_border: Annotated[bool | None, typer.Option("--cross-border/--internal")] = None,
    consent: Annotated[
        bool | None, typer.Option("--consent/--no-consent", help="Adult's informed consent to referral.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="Language the person understands (e.g. en, uk, ro).")] = None,
    date_of_birth: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Optional; kept encrypted.")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="Policy name or .toml path (default NRM_DEFAULT_POLICY).")] = None,
    from_csv: Annotated[
        Path | None,
        typer.Option(
            "--from-csv",
            help="Open a case for each row of this CSV file (- for standard input), whose header names these options "
            "without -- (first-responder, detected-on, child, age-disputed, sex, exploitation with ; between types, "
            "cross-border, consent, language, date-of-birth, policy); prints each row's line and reference.",
        ),
    ] = None,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    dependent_of: Annotated[
        str | None, typer.Option(help="A dependent child of the adult victim in this case: the cases are linked.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a case from a referral; prints the new pseudonymous reference."""
    who = actor(actor_)
    given = {
        "first_responder_id": first_responder,
        "declared_child": child,
        "age_disputed": age_disputed,
        "sex": sex.value if sex else None,
        "cross_border": cross_border,
        "consent_to_referral": consent,
        "language": language,
        "exploitation_types": [e.value for e in exploitation] if exploitation else None,
        "detected_on": detected_on.date() if detected_on else None,
    }
    if from_csv is not None:
        given_any = file or date_of_birth or policy or dependent_of or any(v is not None for v in given.values())
        if given_any:
            raise BadInput("--from-csv takes the referrals from the file alone: give their fields as its columns")
        from starter.cli import bulk  # its progress bar loads with the command that shows one

        lines = bulk.lines_of(from_csv)
        rows = read_referrals(lines, who)
        await bulk.run(
            rows, total=max(len(lines) - 1, 0), concurrency=concurrency, as_json=as_json, what="cases", opens=True
        )
        return
    base = data_file(file, "referral") if file else {}
    data = referral_data(base, given, who, date_of_birth.date().isoformat() if date_of_birth else None)
    reference = await (await _client()).open_case(data, who, policy=policy, dependent_of=dependent_of)
    emit(as_json, {"reference": reference}, lambda: out.print(reference))


class StageName(str, Enum):
    stage1 = "stage1"
    stage2 = "stage2"


class RiskFinding(str, Enum):
    found = "found"
    none = "none"


@app.command("decide")
@runs
async def case_decide(
    stage: Annotated[StageName, typer.Argument(help="stage1 or stage2")],
    reference: RefArg,
    outcome: Annotated[Outcome, typer.Option(help="positive or negative")],
    actor_: AsOpt,
    reasons: ReasonsOpt = "",
    evidence: EvidenceOpt = "",
    informed_in: InformedInOpt = "",
    child_views: ChildViewsOpt = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a Stage 1 (reasonable grounds) or Stage 2 (conclusive) decision."""
    request = DecisionRequest(
        actor=actor(actor_),
        outcome=outcome,
        reasons=reasons,
        evidence=evidence,
        informed_in=informed_in,
        child_views=child_views,
    )
    await _carry_out(
        reference,
        lambda client: (client.decide_stage1 if stage is StageName.stage1 else client.decide_stage2)(
            reference, request, request_id
        ),
        as_json,
    )


@app.command("extend-rr")
@runs
async def case_extend_rr(
    reference: RefArg,
    actor_: AsOpt,
    reasons: Annotated[str, typer.Option(help="Why (health, intimidation, trauma, pending decision...).")] = "",
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="New end (UTC date or time with zone)."),
    ] = None,
    by: Annotated[str | None, typer.Option(help="Or extend by a duration: 30d, 2w, P30D.")] = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Extend the recovery and reflection period; Stage 2 falls due at the new end."""
    try:
        request = ExtendRRRequest(
            actor=actor(actor_),
            reasons=reasons,
            new_end=as_utc(until) if until else None,
            extend_by=parse_duration(by) if by else None,
        )
    except ValidationError as exc:
        raise invalid_input(exc, "extension") from None
    await _carry_out(reference, lambda client: client.extend_rr(reference, request, request_id), as_json)


@app.command("consent")
@runs
async def case_consent(
    reference: RefArg,
    actor_: AsOpt,
    note: Annotated[str, typer.Option(help="How consent was obtained.")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an adult's informed consent to referral given later: the case enters Stage 1."""
    request = ConsentRequest(actor=actor(actor_), note=note)
    await _carry_out(reference, lambda client: client.record_consent(reference, request, request_id), as_json)


@app.command("show")
@runs
async def case_show(reference: RefArg, as_json: JsonOpt = False) -> None:
    """Stage, every deadline with its due time and state, R&R period and decision log."""
    status = await (await _client()).status(reference)
    emit(as_json, status, lambda: render.show_case(out, status))


@app.command("provide")
@runs
async def case_provide(
    reference: RefArg,
    kind: KindArg,
    actor_: AsOpt,
    evidence: Annotated[str, typer.Option(help="Evidence note: what was done, a document reference.")] = "",
    at: Annotated[
        datetime | None,
        typer.Option(
            "--at",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"],
            help="When it was done (default now; UTC unless a zone is given). Late is accepted and recorded late.",
        ),
    ] = None,
    not_needed: Annotated[
        str,
        typer.Option("--not-needed", help="Record it as not needed, with this reason (where the policy allows it)."),
    ] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a provision as given (or not needed) by the role that owes it."""
    request = ProvideRequest(
        actor=actor(actor_), kind=kind, when=as_utc(at) if at else None, evidence=evidence, not_needed_reason=not_needed
    )
    await _carry_out(reference, lambda client: client.provide(reference, request, request_id), as_json)


@app.command("assess")
@runs
async def case_assess(
    reference: RefArg,
    kind: KindArg,
    actor_: AsOpt,
    result: Annotated[
        Path,
        typer.Option("--result", help="The result as JSON or TOML: completed_at, summary, next_review [, document]."),
    ],
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an assessment's result; its date of next review becomes the next obligation."""
    try:
        outcome = AssessmentResult.model_validate(data_file(result, "assessment result"))
    except ValidationError as exc:
        raise invalid_input(exc, "assessment result") from None
    request = AssessRequest(actor=actor(actor_), kind=kind, result=outcome)
    await _carry_out(reference, lambda client: client.assess(reference, request, request_id), as_json)


@app.command("reconsider")
@runs
async def case_reconsider(
    reference: RefArg,
    actor_: AsOpt,
    reasons: Annotated[str, typer.Option(help="Why the decision should be reconsidered (required).")] = "",
    evidence: Annotated[str, typer.Option(help="Summary of the evidence offered.")] = "",
    new_evidence: Annotated[
        bool, typer.Option("--new-evidence", help="After the window closed: the request rests on new evidence.")
    ] = False,
    of: OfOpt = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Request reconsideration by the review panel of a negative Stage 1 or Stage 2 decision, an adult age finding
    (--of age) or a permit refusal (--of permit)."""
    request = ReconsiderationRequest(
        actor=actor(actor_), reasons=reasons, evidence=evidence, new_evidence=new_evidence, of=of
    )
    await _carry_out(reference, lambda client: client.request_reconsideration(reference, request, request_id), as_json)


@app.command("review")
@runs
async def case_review(
    reference: RefArg,
    outcome: Annotated[ReviewOutcome, typer.Option(help="upheld or overturned")],
    actor_: AsOpt,
    reasons: ReasonsOpt = "",
    evidence: EvidenceOpt = "",
    informed_in: InformedInOpt = "",
    of: OfOpt = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the review panel's decision on a reconsideration: upheld or overturned."""
    request = ReviewRequest(
        actor=actor(actor_), outcome=outcome, reasons=reasons, evidence=evidence, informed_in=informed_in, of=of
    )
    await _carry_out(reference, lambda client: client.record_review(reference, request, request_id), as_json)


@app.command("appeal")
@runs
async def case_appeal(
    reference: RefArg,
    actor_: AsOpt,
    reasons: Annotated[str, typer.Option(help="Grounds of appeal (required).")] = "",
    court: Annotated[str, typer.Option(help="The court it is lodged with, if known.")] = "",
    of: OfOpt = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Lodge a judicial appeal against the decision challenged, within the policy's window."""
    request = AppealRequest(actor=actor(actor_), reasons=reasons, court=court, of=of)
    await _carry_out(reference, lambda client: client.lodge_appeal(reference, request, request_id), as_json)


@app.command("judgment")
@runs
async def case_judgment(
    reference: RefArg,
    outcome: Annotated[JudgmentOutcome, typer.Option(help="dismissed, allowed or remitted")],
    decided_on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Date of the judgment.")],
    actor_: AsOpt,
    court: Annotated[str, typer.Option(help="The court that gave the judgment (required).")] = "",
    judgment_ref: Annotated[str, typer.Option("--judgment-ref", help="The judgment's reference (required).")] = "",
    reasons: Annotated[str, typer.Option(help="Summary of the court's reasons.")] = "",
    informed_in: InformedInOpt = "",
    of: OfOpt = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the court's judgment on the appeal."""
    request = JudgmentRequest(
        actor=actor(actor_),
        outcome=outcome,
        court=court,
        judgment_ref=judgment_ref,
        decided_on=decided_on.date(),
        reasons=reasons,
        informed_in=informed_in,
        of=of,
    )
    await _carry_out(reference, lambda client: client.record_judgment(reference, request, request_id), as_json)


@app.command("permit")
@runs
async def case_permit(
    action: Annotated[PermitAction, typer.Argument(help="grant, renew or refuse")],
    reference: RefArg,
    actor_: AsOpt,
    permit: Annotated[
        PermitType | None, typer.Option(help="residence or interim, when both are owed (default: the one owed).")
    ] = None,
    ground: Annotated[
        list[PermitGround] | None,
        typer.Option("--ground", help="Grounds of a grant (repeat): personal_situation, cooperation, best_interests."),
    ] = None,
    valid_from: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="Valid from (default now)."),
    ] = None,
    valid_until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="Valid until (grant and renew)."),
    ] = None,
    document: Annotated[str, typer.Option(help="The permit document's reference (kept encrypted).")] = "",
    reasons: Annotated[str, typer.Option(help="Written reasons (required to refuse).")] = "",
    informed_in: InformedInOpt = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The immigration authority's decision on a residence or interim permit: grant, renew or refuse."""
    try:
        request = PermitRequest(
            actor=actor(actor_),
            action=action,
            permit=permit,
            grounds=ground or [],
            valid_from=as_utc(valid_from) if valid_from else None,
            valid_until=as_utc(valid_until) if valid_until else None,
            document=document,
            reasons=reasons,
            informed_in=informed_in,
        )
    except ValidationError as exc:
        raise invalid_input(exc, "permit decision") from None
    await _carry_out(reference, lambda client: client.permit_decision(reference, request, request_id), as_json)


@app.command("proceeding")
@runs
async def case_proceeding(
    reference: RefArg,
    actor_: AsOpt,
    kind: Annotated[
        ProceedingKind | None,
        typer.Option(help="asylum_claim, protection_claim, criminal, civil or compensation (to record one)."),
    ] = None,
    presence_needed: Annotated[
        bool,
        typer.Option("--presence-needed", help="Proceedings need the person, who wants to take part: a hold."),
    ] = False,
    reference_of: Annotated[
        str, typer.Option("--reference", help="The authority's or court's reference (kept encrypted).")
    ] = "",
    note: Annotated[str, typer.Option(help="A note.")] = "",
    end: Annotated[int | None, typer.Option(help="End the claim or proceeding of this number instead.")] = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a protection claim or proceedings (a hold on removal and on a return), or end one."""
    try:
        request = ProceedingRequest(
            actor=actor(actor_), kind=kind, presence_needed=presence_needed, reference=reference_of, note=note, end=end
        )
    except ValidationError as exc:
        raise invalid_input(exc, "claim or proceeding") from None
    await _carry_out(reference, lambda client: client.record_proceeding(reference, request, request_id), as_json)


@app.command("holds")
@runs
async def case_holds(reference: RefArg, as_json: JsonOpt = False) -> None:
    """Why removal is barred: each hold with its source, and whether it also stops a voluntary departure."""
    status = await (await _client()).status(reference)
    emit(as_json, [h.model_dump(mode="json") for h in status.holds], lambda: render.show_holds(out, status))


returns = typer.Typer(
    help="A voluntary return at the person's own request: risk assessment, plan, departure, check-ins.",
    no_args_is_help=True,
)
app.add_typer(returns, name="return")


@returns.command("request")
@runs
async def return_request(
    reference: RefArg,
    actor_: AsOpt,
    decided_on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="When the person decided.")],
    destination: Annotated[str, typer.Option(help="Country of return, ISO 3166 code (e.g. RO).")],
    legal_advice: Annotated[str, typer.Option(help="The legal advice given before the decision (required).")] = "",
    reflection_days: Annotated[int, typer.Option(help="Days the person was given to decide.")] = 0,
    informed_of_options: Annotated[
        bool, typer.Option("--informed-of-options", help="Told every option: return, remain, a third country.")
    ] = False,
    guardian_consulted: Annotated[
        bool, typer.Option("--guardian-consulted", help="A child: the child and the guardian informed and consulted.")
    ] = False,
    no_monitoring: Annotated[
        bool, typer.Option("--no-monitoring", help="The person does not want reintegration monitoring.")
    ] = False,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the person's informed decision to return voluntarily; the pre-return risk assessment is owed."""
    request = ReturnRequest(
        actor=actor(actor_),
        decided_on=decided_on.date(),
        destination=destination,
        legal_advice=legal_advice,
        reflection_days=reflection_days,
        informed_of_options=informed_of_options,
        guardian_consulted=guardian_consulted,
        monitoring=not no_monitoring,
    )
    await _carry_out(reference, lambda client: client.request_return(reference, request, request_id), as_json)


@returns.command("assess")
@runs
async def return_assess(
    reference: RefArg,
    actor_: AsOpt,
    risk: Annotated[RiskFinding, typer.Option(help="found or none")],
    summary: Annotated[str, typer.Option(help="What the assessment found (required).")] = "",
    covers_family: Annotated[
        bool, typer.Option("--covers-family", help="The family's safety and any part in the trafficking assessed.")
    ] = False,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the pre-return risk assessment made with the person: a risk found keeps them in protection."""
    request = ReturnAssessmentRequest(
        actor=actor(actor_), risk_found=risk is RiskFinding.found, summary=summary, covers_family=covers_family
    )
    await _carry_out(reference, lambda client: client.assess_return(reference, request, request_id), as_json)


@returns.command("plan")
@runs
async def return_plan(
    reference: RefArg,
    actor_: AsOpt,
    departure: Annotated[
        datetime,
        typer.Option(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"], help="Planned departure (time with zone)."),
    ],
    reception: Annotated[str, typer.Option(help="Who receives the person, and how (required).")] = "",
    route: Annotated[str, typer.Option(help="The route.")] = "",
    escort: Annotated[str, typer.Option(help="The escort, if any.")] = "",
    travel_documents: Annotated[
        bool, typer.Option("--travel-documents", help="The person holds travel documents.")
    ] = False,
    care_confirmed: Annotated[
        bool, typer.Option("--care-confirmed", help="A child: care arrangements in the country of return confirmed.")
    ] = False,
    coordinate: Annotated[
        bool, typer.Option("--coordinate", help="Contact the receiving country (needs consent to data sharing).")
    ] = False,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan the departure: refused, naming each hold, while any hold applies; checked again at the planned time."""
    try:
        request = ReturnPlanRequest(
            actor=actor(actor_),
            departure_at=as_utc(departure),
            reception=reception,
            route=route,
            escort=escort,
            travel_documents=travel_documents,
            care_confirmed=care_confirmed,
            coordinate=coordinate,
        )
    except ValidationError as exc:
        raise invalid_input(exc, "return plan") from None
    await _carry_out(reference, lambda client: client.plan_return(reference, request, request_id), as_json)


@returns.command("depart")
@runs
async def return_depart(
    reference: RefArg,
    actor_: AsOpt,
    at: AtOpt = None,
    note: Annotated[str, typer.Option(help="Route and escort as they were.")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the departure (refused, naming each hold, while any applies); monitoring starts if the person wants it."""
    request = DepartureRequest(actor=actor(actor_), departed_at=as_utc(at) if at else None, note=note)
    await _carry_out(reference, lambda client: client.record_departure(reference, request, request_id), as_json)


@returns.command("received")
@runs
async def return_received(
    reference: RefArg,
    actor_: AsOpt,
    summary: Annotated[str, typer.Option(help="Who received the person, where, how (required).")] = "",
    not_received: Annotated[
        bool, typer.Option("--not-received", help="The person did not arrive: reported missing at once.")
    ] = False,
    at: AtOpt = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record, for the receiving side, that the person was received on arrival (or did not arrive)."""
    request = ReceptionRequest(
        actor=actor(actor_), summary=summary, received=not not_received, when=as_utc(at) if at else None
    )
    await _carry_out(reference, lambda client: client.record_reception(reference, request, request_id), as_json)


@returns.command("check-in")
@runs
async def return_check_in(
    reference: RefArg,
    actor_: AsOpt,
    summary: Annotated[str, typer.Option(help="How the person is doing (required).")] = "",
    retrafficking: Annotated[
        bool, typer.Option("--retrafficking", help="A re-trafficking indicator was seen: protection re-opens.")
    ] = False,
    at: AtOpt = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a reintegration check-in by the support provider in the country of return."""
    request = CheckInRequest(
        actor=actor(actor_), summary=summary, retrafficking=retrafficking, when=as_utc(at) if at else None
    )
    await _carry_out(reference, lambda client: client.record_check_in(reference, request, request_id), as_json)


@app.command("age-dispute")
@runs
async def case_age_dispute(
    reference: RefArg,
    actor_: AsOpt,
    reasons: Annotated[str, typer.Option(help="Why the age is in doubt (required).")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Dispute the person's age: a child from now until a final adult finding; an age assessment is owed."""
    request = AgeDisputeRequest(actor=actor(actor_), reasons=reasons)
    await _carry_out(reference, lambda client: client.dispute_age(reference, request, request_id), as_json)


@app.command("age-assessment")
@runs
async def case_age_assessment(
    reference: RefArg,
    outcome: Annotated[AgeFinding, typer.Option(help="child, adult or inconclusive (counts as a child)")],
    actor_: AsOpt,
    reasons: ReasonsOpt = "",
    evidence: EvidenceOpt = "",
    child_views: ChildViewsOpt = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the age assessment's result, by the role that owes it."""
    request = AgeAssessmentRequest(
        actor=actor(actor_), outcome=outcome, reasons=reasons, evidence=evidence, child_views=child_views
    )
    await _carry_out(reference, lambda client: client.record_age_assessment(reference, request, request_id), as_json)


@app.command("missing")
@runs
async def case_missing(
    reference: RefArg,
    actor_: AsOpt,
    note: Annotated[str, typer.Option(help="Circumstances (when last seen, who was told).")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report the person missing: a child's case escalates at once to the coordinator and child protection."""
    request = MissingRequest(actor=actor(actor_), note=note)
    await _carry_out(reference, lambda client: client.report_missing(reference, request, request_id), as_json)


@app.command("found")
@runs
async def case_found(
    reference: RefArg,
    actor_: AsOpt,
    note: Annotated[str, typer.Option(help="Where and how the person was found or came back in contact.")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report the person missing found: the case resumes."""
    request = FoundRequest(actor=actor(actor_), note=note)
    await _carry_out(reference, lambda client: client.report_found(reference, request, request_id), as_json)


class PurposeName(str, Enum):
    referral = "referral"
    data_sharing = "data-sharing"
    monitoring = "monitoring"


@app.command("withdraw-consent")
@runs
async def case_withdraw_consent(
    reference: RefArg,
    actor_: AsOpt,
    purpose: Annotated[
        list[PurposeName], typer.Option(help="referral, data-sharing or monitoring (repeat for several at once).")
    ],
    reasons: Annotated[str, typer.Option(help="What the person said, if they said why.")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that the person withdrew consent: what depends on it stops, what protects them stays."""
    purposes = [ConsentPurpose(p.value.replace("-", "_")) for p in purpose]
    request = ConsentWithdrawalRequest(actor=actor(actor_), purposes=purposes, reasons=reasons)
    await _carry_out(reference, lambda client: client.withdraw_consent(reference, request, request_id), as_json)


@app.command("close")
@runs
async def case_close(
    reference: RefArg,
    reason: Annotated[ClosureReason, typer.Option(help="Why the case is closed.")],
    actor_: AsOpt,
    note: Annotated[str, typer.Option(help="More on the reason (required for `other`).")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close the case (refused while a reconsideration or appeal is pending): its workflow ends, it stays listed."""
    request = CloseRequest(actor=actor(actor_), reason=reason, note=note)
    await _carry_out(reference, lambda client: client.close_case(reference, request, request_id), as_json)


@app.command("reopen")
@runs
async def case_reopen(
    reference: RefArg,
    actor_: AsOpt,
    reasons: Annotated[str, typer.Option(help="Why the case is re-opened (required).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Re-open a closed case: it continues as a new run of the same workflow, with its state."""
    request = ReopenRequest(actor=actor(actor_), reasons=reasons)
    await _carry_out(reference, lambda client: client.reopen_case(reference, request), as_json)


@app.command("personal-data")
@runs
async def case_personal_data(
    reference: RefArg,
    actor_: AsOpt,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the export to this file (owner-only) instead of stdout."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export, decrypted, everything held about the person in a case: referral, decisions, status (JSON)."""
    export = await (await _client()).personal_data(reference, actor(actor_))
    text = json.dumps(export.model_dump(mode="json"), indent=2, ensure_ascii=False)
    if output:
        write_private(output, text + "\n", replace=False)
        emit(as_json, {"file": str(output)}, lambda: out.print(f"wrote {output}"))
    else:
        out.file.write(text + "\n")

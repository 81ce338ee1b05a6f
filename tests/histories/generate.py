"""The stored histories that CI replays, one per distinct path of a case (run by hand, not by pytest):

    .venv/bin/python -m tests.histories.generate

Starts its own dev server and worker, drives one case down each path below on the seconds-scale test policy, and
writes its history into cases/ as JSON (Temporal's format) with a manifest of SHA-256 digests. Payloads are
encrypted with TEST-ONLY-key.json. Until the first release (README "Versioning") a change of the workflow's
behaviour regenerates every history in the same commit: the old ones are deleted and this writes them anew. From
the first release on, each release's histories go under cases/<version>/ and are never regenerated.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.case import AgeFinding, AgeStatus, ChallengeSubject, ClosureReason, JudgmentOutcome, Outcome, ReviewOutcome
from domain.consent import ConsentPurpose
from domain.permit_records import PermitAction, PermitGround
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
    ProvideRequest,
    ReceptionRequest,
    ReconsiderationRequest,
    ReopenRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
    ReviewRequest,
)
from domain.roles import Actor, Role
from domain.status import CaseStatus
from plumbing import search_attributes as sa
from plumbing.connection import data_converter
from starter.actors import add_actor
from starter.audit.export import write_history
from starter.audit.history import fetch_case
from starter.audit.manifest import Manifest, write_manifest
from starter.client import NrmClient
from starter.up import temporal_binary
from tests.histories.testkey import CASES, HERE, settings_with_test_only_key
from tests.policies import coming_of_age, panel_confirming, stage2_own_limit, with_permits, with_returns
from worker import build_worker

POLICY = str(HERE.parent / "policies" / "fast.toml")
RESPONDER = Actor(role=Role.FIRST_RESPONDER, id="fr-1")
AUTHORITY = Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")
COORDINATOR = Actor(role=Role.COORDINATOR, id="co-1")
SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
PANEL = Actor(role=Role.REVIEW_PANEL, id="rp-1")
LAWYER = Actor(role=Role.LEGAL_REPRESENTATIVE, id="lr-1")
IMMIGRATION = Actor(role=Role.IMMIGRATION_AUTHORITY, id="ia-1")
ABROAD = Actor(role=Role.RECEIVING_SUPPORT, id="rs-1")
CHILD_PROTECTION = Actor(role=Role.CHILD_PROTECTION, id="cp-1")
GUARDIAN_ADVOCATE = Actor(role=Role.GUARDIAN_ADVOCATE, id="ga-1")


def _referral(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "first_responder_id": "fr-1",
        "detected_on": date.today().isoformat(),
        "sex": "female",
        "exploitation_types": ["labour"],
        "cross_border": True,
        "consent_to_referral": True,
        "language": "ro",
    }
    return {**data, **overrides}


CHILD_VIEWS = "heard with the guardian advocate present"


def _decision(outcome: str = "positive", child_views: str = "") -> DecisionRequest:
    return DecisionRequest(
        actor=AUTHORITY,
        outcome=Outcome(outcome),
        reasons="indicators present",
        evidence="interview record",
        child_views=child_views,
    )


async def _until(nrm: NrmClient, ref: str, check: Callable[[CaseStatus], bool], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check(await nrm.status(ref)):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{ref}: condition not met in {timeout}s")
        await asyncio.sleep(0.2)


async def adult_positive_reminders_escalation(nrm: NrmClient) -> str:
    """Stage 1 overdue (two reminders, escalation), then positive; R&R lapses and extends itself; Stage 2."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await _until(nrm, ref, lambda s: s.breach_count == 1)
    await nrm.decide_stage1(ref, _decision())
    await _until(nrm, ref, lambda s: bool(s.rr and s.rr.extensions))
    await nrm.decide_stage2(ref, _decision())
    return ref


async def child_positive(nrm: NrmClient) -> str:
    ref = await nrm.open_case(
        _referral(declared_child=True, consent_to_referral=None, exploitation_types=["sexual"]),
        RESPONDER,
        policy=POLICY,
    )
    # owed from referral; a child's Stage 1 is refused before a guardian advocate, and records the child's views
    await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="guardian_advocate", evidence="GA-1 allocated"))
    await nrm.decide_stage1(ref, _decision(child_views=CHILD_VIEWS))
    await asyncio.sleep(5)  # the first Stage 2 reminder (half of the 8 s R&R period) goes out
    await nrm.decide_stage2(ref, _decision(child_views=CHILD_VIEWS))
    return ref


async def negative_stage1(nrm: NrmClient) -> str:
    ref = await nrm.open_case(_referral(sex="male"), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision("negative"))
    return ref


async def rr_auto_extension(nrm: NrmClient) -> str:
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision())
    await _until(nrm, ref, lambda s: bool(s.rr and len(s.rr.extensions) >= 2))
    await nrm.decide_stage2(ref, _decision())
    return ref


async def manual_extension(nrm: NrmClient) -> str:
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision())
    await nrm.extend_rr(
        ref, ExtendRRRequest(actor=AUTHORITY, reasons="medical treatment", extend_by=timedelta(seconds=20))
    )
    await asyncio.sleep(2)
    await nrm.decide_stage2(ref, _decision())
    return ref


async def consent_later(nrm: NrmClient) -> str:
    ref = await nrm.open_case(_referral(consent_to_referral=False), RESPONDER, policy=POLICY)
    await asyncio.sleep(1)
    await nrm.record_consent(ref, ConsentRequest(actor=RESPONDER, note="after legal advice"))
    await nrm.decide_stage1(ref, _decision())
    await nrm.decide_stage2(ref, _decision())
    return ref


async def provisions_and_assessment(nrm: NrmClient) -> str:
    """Positive Stage 1: one provision given, one recorded as not needed, one assessment with its next review;
    the other provisions go unmet (reminders, escalations)."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision())
    await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="nrm_referral", evidence="referred"))
    await nrm.provide(ref, ProvideRequest(actor=SUPPORT, kind="accommodation", not_needed_reason="has housing"))
    now = datetime.now(UTC)
    await nrm.assess(
        ref,
        AssessRequest(
            actor=SUPPORT,
            kind="needs_risks_assessment",
            result=AssessmentResult(completed_at=now, summary="assessed", next_review=now + timedelta(seconds=50)),
        ),
    )
    await nrm.decide_stage2(ref, _decision())
    await asyncio.sleep(11)  # the other provisions fall due 10 s after Stage 1: reminded, then escalated
    return ref


async def stage1_reconsidered_overturned(nrm: NrmClient) -> str:
    """Negative Stage 1; the advocate requests reconsideration; the panel overturns it: R&R and provisions."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision("negative"))
    await nrm.request_reconsideration(ref, ReconsiderationRequest(actor=SUPPORT, reasons="indicators overlooked"))
    await nrm.record_review(
        ref, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.OVERTURNED, reasons="indicators present")
    )
    await nrm.decide_stage2(ref, _decision())
    return ref


async def stage2_upheld_appeal_allowed(nrm: NrmClient) -> str:
    """Negative Stage 2 upheld by the panel; the appeal is allowed: confirmed victim."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision())
    await nrm.decide_stage2(ref, _decision("negative"))
    await nrm.request_reconsideration(ref, ReconsiderationRequest(actor=LAWYER, reasons="evidence misread"))
    await nrm.record_review(ref, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.UPHELD, reasons="no new facts"))
    await nrm.lodge_appeal(ref, AppealRequest(actor=LAWYER, reasons="error of law", court="Tribunalul X"))
    await nrm.record_judgment(
        ref,
        JudgmentRequest(
            actor=LAWYER,
            outcome=JudgmentOutcome.ALLOWED,
            court="Tribunalul X",
            judgment_ref="J-1/2026",
            decided_on=date.today(),
        ),
    )
    return ref


async def stage1_appeal_remitted(nrm: NrmClient) -> str:
    """Negative Stage 1 upheld; the court remits it: Stage 1 is decided again (positive) within its new deadline."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision("negative"))
    await nrm.request_reconsideration(ref, ReconsiderationRequest(actor=SUPPORT, reasons="indicators overlooked"))
    await nrm.record_review(ref, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.UPHELD, reasons="no new facts"))
    await nrm.lodge_appeal(ref, AppealRequest(actor=LAWYER, reasons="error of law"))
    await nrm.record_judgment(
        ref,
        JudgmentRequest(
            actor=COORDINATOR,
            outcome=JudgmentOutcome.REMITTED,
            court="Tribunalul X",
            judgment_ref="J-2/2026",
            decided_on=date.today(),
        ),
    )
    await nrm.decide_stage1(ref, _decision())
    await nrm.decide_stage2(ref, _decision())
    return ref


async def stage2_panel_confirmed(nrm: NrmClient) -> str:
    """Negative Stage 2 under a policy whose review panel confirms it before it is issued: provisional, then
    upheld by the panel and issued with its reconsideration window; the window closes unused: final negative."""
    with tempfile.TemporaryDirectory() as scratch:
        ref = await nrm.open_case(_referral(), RESPONDER, policy=panel_confirming(Path(scratch)))
    await nrm.decide_stage1(ref, _decision())
    await nrm.decide_stage2(ref, _decision("negative"))
    await nrm.record_review(ref, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.UPHELD, reasons="confirmed"))
    await _until(nrm, ref, lambda s: s.stage.value == "final_negative")
    return ref


async def window_lapsed_final_negative(nrm: NrmClient) -> str:
    """Negative Stage 1, the reconsideration window lapses (reminders, escalation): final negative, whose
    vulnerability assessment and onward referral are recorded."""
    ref = await nrm.open_case(_referral(sex="male"), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision("negative"))
    await _until(nrm, ref, lambda s: s.stage.value == "final_negative")
    await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="vulnerability_assessment", evidence="done"))
    await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="onward_referral", evidence="referred"))
    return ref


async def permits_interim_residence_renewal(nrm: NrmClient) -> str:
    """Stage 2 overdue at the end of the R&R: an interim permit owed and granted; a positive Stage 2 owes the
    residence permit, which supersedes it; renewal reminders before expiry; renewed."""
    with tempfile.TemporaryDirectory() as scratch:
        ref = await nrm.open_case(_referral(), RESPONDER, policy=with_permits(Path(scratch)))
    await nrm.decide_stage1(ref, _decision())
    await _until(nrm, ref, lambda s: any(d.kind == "interim_permit" for d in s.open_deadlines))
    soon = datetime.now(UTC)
    grounds = [PermitGround.PERSONAL_SITUATION]
    await nrm.permit_decision(
        ref,
        PermitRequest(
            actor=IMMIGRATION, action=PermitAction.GRANT, grounds=grounds, valid_until=soon + timedelta(minutes=5)
        ),
    )
    await nrm.decide_stage2(ref, _decision())
    until = datetime.now(UTC) + timedelta(seconds=22)
    await nrm.permit_decision(
        ref, PermitRequest(actor=IMMIGRATION, action=PermitAction.GRANT, grounds=grounds, valid_until=until)
    )
    await asyncio.sleep((until - datetime.now(UTC)).total_seconds() - 4)  # both renewal reminders sent
    await nrm.permit_decision(
        ref,
        PermitRequest(actor=IMMIGRATION, action=PermitAction.RENEW, valid_until=until + timedelta(minutes=5)),
    )
    return ref


async def return_stopped_then_departed_monitored(nrm: NrmClient) -> str:
    """A confirmed victim asks to return; a clear risk assessment; the first plan stops at its planned departure
    (no travel documents yet: a hold); planned again with the receiving country contacted, departed, the reception
    recorded by the receiving side, one check-in recorded, the next one missed."""
    with tempfile.TemporaryDirectory() as scratch:
        ref = await nrm.open_case(_referral(), RESPONDER, policy=with_returns(Path(scratch)))
    await nrm.decide_stage1(ref, _decision())
    await nrm.decide_stage2(ref, _decision())
    decided = datetime.now(UTC).date()
    await nrm.request_return(
        ref,
        ReturnRequest(
            actor=SUPPORT, decided_on=decided, destination="RO", legal_advice="explained", informed_of_options=True
        ),
    )
    await nrm.assess_return(
        ref, ReturnAssessmentRequest(actor=SUPPORT, risk_found=False, summary="family safe", covers_family=True)
    )
    first = datetime.now(UTC) + timedelta(seconds=3)
    await nrm.plan_return(ref, ReturnPlanRequest(actor=COORDINATOR, departure_at=first, reception="IOM"))
    await _until(nrm, ref, lambda s: s.returns[-1].phase.value == "assessed")  # stopped at the planned time
    second = datetime.now(UTC) + timedelta(seconds=3)
    await nrm.plan_return(
        ref,
        ReturnPlanRequest(
            actor=COORDINATOR, departure_at=second, reception="IOM", travel_documents=True, coordinate=True
        ),
    )
    await nrm.record_departure(ref, DepartureRequest(actor=COORDINATOR))
    await nrm.record_reception(ref, ReceptionRequest(actor=ABROAD, summary="met at the airport"))
    await nrm.record_check_in(ref, CheckInRequest(actor=ABROAD, summary="settled"))
    await _until(nrm, ref, lambda s: any(d.breaches for d in s.deadlines if d.kind == "reintegration_check_in"))
    return ref


async def age_dispute_inconclusive_then_adult(nrm: NrmClient) -> str:
    """An adult disputed after a positive Stage 1: a child from then; inconclusive (a child); disputed again on new
    evidence and found an adult, final when its reconsideration window closes unused: the guardian advocate's
    handover is owed."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision())
    await nrm.dispute_age(ref, AgeDisputeRequest(actor=SUPPORT, reasons="school records"))
    finding = AgeAssessmentRequest(
        actor=CHILD_PROTECTION, outcome=AgeFinding.INCONCLUSIVE, reasons="no documents", child_views=CHILD_VIEWS
    )
    await nrm.record_age_assessment(ref, finding)
    await nrm.dispute_age(ref, AgeDisputeRequest(actor=COORDINATOR, reasons="passport found"))
    await nrm.record_age_assessment(
        ref, finding.model_copy(update={"outcome": AgeFinding.ADULT, "reasons": "passport"})
    )
    await _until(nrm, ref, lambda s: s.age_status is AgeStatus.ADULT)
    await nrm.decide_stage2(ref, _decision())
    return ref


async def age_adult_challenged_overturned(nrm: NrmClient) -> str:
    """An adult finding challenged by the guardian advocate: the review panel sets it aside, a child for good."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision())
    await nrm.dispute_age(ref, AgeDisputeRequest(actor=SUPPORT, reasons="school records"))
    await nrm.record_age_assessment(
        ref,
        AgeAssessmentRequest(
            actor=CHILD_PROTECTION, outcome=AgeFinding.ADULT, reasons="appearance", child_views=CHILD_VIEWS
        ),
    )
    of = ChallengeSubject.AGE
    await nrm.request_reconsideration(
        ref, ReconsiderationRequest(actor=GUARDIAN_ADVOCATE, reasons="birth certificate ignored", of=of)
    )
    await nrm.record_review(
        ref, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.OVERTURNED, reasons="certificate is genuine", of=of)
    )
    return ref


async def permit_refused_overturned_granted(nrm: NrmClient) -> str:
    """A residence permit refused, reconsidered on the advocate's request and set aside: owed again, granted."""
    with tempfile.TemporaryDirectory() as scratch:
        ref = await nrm.open_case(_referral(), RESPONDER, policy=with_permits(Path(scratch)))
    await nrm.decide_stage1(ref, _decision())
    await nrm.decide_stage2(ref, _decision())
    await nrm.permit_decision(ref, PermitRequest(actor=IMMIGRATION, action=PermitAction.REFUSE, reasons="no grounds"))
    of = ChallengeSubject.PERMIT
    await nrm.request_reconsideration(ref, ReconsiderationRequest(actor=SUPPORT, reasons="grounds misread", of=of))
    await nrm.record_review(
        ref, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.OVERTURNED, reasons="the grounds apply", of=of)
    )
    await nrm.permit_decision(
        ref,
        PermitRequest(
            actor=IMMIGRATION,
            action=PermitAction.GRANT,
            grounds=[PermitGround.PERSONAL_SITUATION],
            valid_until=datetime.now(UTC) + timedelta(minutes=5),
        ),
    )
    return ref


async def missing_adult_suspended_found(nrm: NrmClient) -> str:
    """An adult reported missing: reminders to the coordinator, the case suspended after 6 s, then found."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.report_missing(ref, MissingRequest(actor=SUPPORT, note="left the shelter"))
    await _until(nrm, ref, lambda s: s.missing is not None and s.missing.suspended_at is not None)
    await nrm.report_found(ref, FoundRequest(actor=SUPPORT, note="back in contact"))
    await nrm.decide_stage1(ref, _decision())
    return ref


async def missing_child_found(nrm: NrmClient) -> str:
    """A child reported missing (escalated at once to the coordinator and child protection), then found."""
    ref = await nrm.open_case(_referral(declared_child=True, consent_to_referral=None), RESPONDER, policy=POLICY)
    await nrm.report_missing(ref, MissingRequest(actor=SUPPORT))
    await asyncio.sleep(3)  # reminders meanwhile go to the coordinator
    await nrm.report_found(ref, FoundRequest(actor=COORDINATOR))
    return ref


async def consent_withdrawn_per_purpose(nrm: NrmClient) -> str:
    """Data sharing withdrawn before Stage 1 (no assessment request leaves), then referral and monitoring in one
    step: the pending Stage 2 ends unmade, the R&R period is not extended for it, removal stays suspended."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.withdraw_consent(ref, ConsentWithdrawalRequest(actor=SUPPORT, purposes=[ConsentPurpose.DATA_SHARING]))
    await nrm.decide_stage1(ref, _decision())
    both = [ConsentPurpose.REFERRAL, ConsentPurpose.MONITORING]
    await nrm.withdraw_consent(ref, ConsentWithdrawalRequest(actor=SUPPORT, purposes=both, reasons="asked"))
    await asyncio.sleep(9)  # past the 8 s R&R period: nothing to extend it for
    return ref


async def closed(nrm: NrmClient) -> str:
    """Both stages positive, then closed: the run ends with the closing record."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.decide_stage1(ref, _decision())
    await nrm.decide_stage2(ref, _decision())
    await nrm.close_case(ref, CloseRequest(actor=COORDINATOR, reason=ClosureReason.SUPPORT_ENDED, note="moved on"))
    return ref


async def reopened(nrm: NrmClient) -> str:
    """Closed, then re-opened: the new run (the one stored) continues the case with its state."""
    ref = await closed(nrm)
    await nrm.reopen_case(ref, ReopenRequest(actor=COORDINATOR, reasons="new support needs"))
    await nrm.provide(ref, ProvideRequest(actor=SUPPORT, kind="legal_advice", evidence="lawyer met"))
    return ref


async def dependent_child_linked(nrm: NrmClient) -> str:
    """An adult victim's case, and a dependent child's case opened for her child: the adult's case links back."""
    ref = await nrm.open_case(_referral(), RESPONDER, policy=POLICY)
    await nrm.open_case(
        _referral(declared_child=True, consent_to_referral=None), RESPONDER, policy=POLICY, dependent_of=ref
    )
    await nrm.decide_stage1(ref, _decision())
    return ref


async def stage2_own_limit_overdue(nrm: NrmClient) -> str:
    """Stage 2 with a limit of its own beyond the R&R period (coe-minimum's shape): the period ends by itself, Stage 2
    lapses at its own limit (escalated, due again a step later), then is decided."""
    with tempfile.TemporaryDirectory() as scratch:
        ref = await nrm.open_case(_referral(), RESPONDER, policy=stage2_own_limit(Path(scratch)))
    await nrm.decide_stage1(ref, _decision())
    await _until(nrm, ref, lambda s: any(d.breaches for d in s.deadlines if d.kind == "stage2_decision"))
    await nrm.decide_stage2(ref, _decision())
    return ref


async def coming_of_age_in_rr(nrm: NrmClient) -> str:
    """A child by the date of birth comes of age during the R&R period: the transition plan owed and given before
    it, an adult for new obligations on the day, child-level support 4 s more, then the handover owed."""
    born = date.today() - timedelta(days=6570)
    of_age = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=7)
    with tempfile.TemporaryDirectory() as scratch:
        policy = coming_of_age(Path(scratch), born, of_age, support_for=timedelta(seconds=4))
        ref = await nrm.open_case(
            _referral(consent_to_referral=None, person={"date_of_birth": born.isoformat()}), RESPONDER, policy=policy
        )
    await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="guardian_advocate", evidence="GA-1 allocated"))
    await nrm.decide_stage1(ref, _decision(child_views=CHILD_VIEWS))
    await _until(nrm, ref, lambda s: any(d.kind == "transition_plan" for d in s.deadlines))
    await nrm.provide(ref, ProvideRequest(actor=CHILD_PROTECTION, kind="transition_plan", evidence="plan agreed"))
    await _until(nrm, ref, lambda s: any(d.kind == "advocate_handover" for d in s.deadlines))
    await nrm.decide_stage2(ref, _decision())
    return ref


PATHS: dict[str, Callable[[NrmClient], Awaitable[str]]] = {
    "adult-positive-reminders-escalation": adult_positive_reminders_escalation,
    "child-positive": child_positive,
    "negative-stage1": negative_stage1,
    "rr-auto-extension": rr_auto_extension,
    "manual-extension": manual_extension,
    "consent-later": consent_later,
    "provisions-and-assessment": provisions_and_assessment,
    "stage1-reconsidered-overturned": stage1_reconsidered_overturned,
    "stage2-upheld-appeal-allowed": stage2_upheld_appeal_allowed,
    "window-lapsed-final-negative": window_lapsed_final_negative,
    "stage1-appeal-remitted": stage1_appeal_remitted,
    "stage2-panel-confirmed": stage2_panel_confirmed,
    "permits-interim-residence-renewal": permits_interim_residence_renewal,
    "return-stopped-then-departed-monitored": return_stopped_then_departed_monitored,
    "stage2-own-limit-overdue": stage2_own_limit_overdue,
    "age-dispute-inconclusive-then-adult": age_dispute_inconclusive_then_adult,
    "age-adult-challenged-overturned": age_adult_challenged_overturned,
    "permit-refused-overturned-granted": permit_refused_overturned_granted,
    "missing-adult-suspended-found": missing_adult_suspended_found,
    "missing-child-found": missing_child_found,
    "consent-withdrawn-per-purpose": consent_withdrawn_per_purpose,
    "closed": closed,
    "reopened": reopened,
    "dependent-child-linked": dependent_child_linked,
    "coming-of-age-in-rr": coming_of_age_in_rr,
}


async def generate(directory: Path = CASES) -> None:
    for old in directory.glob("*.json"):
        old.unlink()
    with tempfile.TemporaryDirectory() as home:
        settings = settings_with_test_only_key(Path(home), task_queue=f"histories-{uuid.uuid4().hex[:8]}")
        for actor in (
            RESPONDER,
            AUTHORITY,
            COORDINATOR,
            SUPPORT,
            PANEL,
            LAWYER,
            IMMIGRATION,
            ABROAD,
            CHILD_PROTECTION,
            GUARDIAN_ADVOCATE,
        ):  # every act is signed by its actor's key
            add_actor(settings, actor)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_binary(),
            search_attributes=sa.ALL,
            data_converter=data_converter(settings),
            dev_server_log_level="error",
        )
        try:
            async with build_worker(env.client, settings):
                nrm = NrmClient(env.client, settings)
                refs = await asyncio.gather(*(path(nrm) for path in PATHS.values()))
                await asyncio.sleep(1)  # let the last workflow tasks complete
                added = []
                for name, ref in zip(PATHS, refs, strict=True):
                    run = (await fetch_case(env.client, ref)).runs[-1]  # a re-opened case's: the re-opening run
                    added.append(write_history(run, directory, f"{name}.json"))
                    print(f"{name}: {ref}, {len(run.events)} events")
        finally:
            await env.shutdown()
    manifest = Manifest(
        exported_at=datetime.now(UTC),
        exported_by="tests/histories/generate.py",
        source="dev server, tests/policies/fast.toml",
        files=added,
    )
    print(f"manifest SHA-256 {write_manifest(directory, manifest)}")


if __name__ == "__main__":
    from plumbing.exit import leave

    asyncio.run(generate())
    leave(0)

"""Did the State meet each deadline of DOMAIN.md section 2? Computed from the history alone.

Each deadline rule turns the case's facts into a `Track`: the windows the duty had (its due time as the policy
snapshot in the history sets it, moved only by a recorded extension), when it was done, and each due time that
passed with the duty still open (a lapse). Every track is then checked the same way: met by its due time,
reminders sent at the policy's fractions of each window, an escalation for every lapse. Case-level rules (the R&R
period extended rather than lapsed) follow. Rules: Stage 1, Stage 2, provisions (with assessment reviews), what a
child is owed from entry, an age dispute's assessment and handover, the reconsideration and appeal windows, the
review panel's decision, a remitted stage decided again and the support a final negative owes; the same windows
and reviews of an adult age finding and of a permit refusal challenged (`reconsideration_request.age`,
`appeal_lodging.permit`...), and a permit owed again after its refusal was set aside; adding a
deadline kind means adding one entry to `DEADLINE_RULES`. A kind that the history shows (by the deadlines the case
published) but no rule covers yet is still checked, against the due times the case itself set, and says so.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

from domain.case import AgeFinding, ChallengeSubject, JudgmentOutcome, ObligationKind, Outcome, ReviewOutcome
from domain.deadlines import reminder_schedule
from domain.permit_records import PermitAction, PermitType
from domain.policy import Policy, ReturnRules
from domain.requests import (
    AgeAssessmentRequest,
    CheckInRequest,
    DecisionRequest,
    DepartureRequest,
    JudgmentRequest,
    PermitRequest,
    ReceptionRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
    ReviewRequest,
)
from domain.returns import monitoring_end
from domain.roles import Act as ActName
from domain.times import aged, measured, spoken
from starter.audit.facts import Act, Alert, CaseFacts, case_facts
from starter.audit.history import AuditEvent

TOLERANCE = timedelta(seconds=1)  # clock slack between the case's computed times and the server's
GRACE = timedelta(seconds=30)  # an alert not sent yet this soon after its time is pending, not missing
MAX_LAPSES = 1000  # automatic extensions followed in one evaluation (a year of a seconds policy)


class Status(str, enum.Enum):
    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    NOT_APPLICABLE = "not applicable"


class Finding(BaseModel):
    rule: str
    deadline: str
    status: Status
    due_at: datetime | None = None
    done_at: datetime | None = None
    delay: timedelta | None = None
    detail: str = ""


class CaseCompliance(BaseModel):
    reference: str
    policy: str
    policy_sha256: str
    is_child: bool
    as_of: datetime
    findings: list[Finding]

    @property
    def breaches(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.BREACHED]


class RuleTotals(BaseModel):
    rule: str
    deadline: str
    met: int = 0
    breached: int = 0
    pending: int = 0
    not_applicable: int = 0

    @property
    def met_rate(self) -> float | None:
        decided = self.met + self.breached
        return self.met / decided if decided else None


class ComplianceReport(BaseModel):
    as_of: datetime
    cases: list[CaseCompliance]
    totals: list[RuleTotals]
    cases_with_breach: int


# ---- tracks -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime
    due: datetime
    why: str


@dataclass
class Track:
    kind: str  # the obligation kind, as the case's deadlines and alerts name it
    title: str
    windows: list[Window]
    done_at: datetime | None
    lapses: list[datetime]
    name: str = ""  # the rule name in findings; the kind unless one kind has several duties

    def __post_init__(self) -> None:
        self.name = self.name or self.kind


def single_window(
    kind: str, title: str, window: Window, done_at: datetime | None, as_of: datetime, name: str = ""
) -> Track:
    """A duty whose due time never moves: it lapses if it is not done by then."""
    end = done_at or as_of
    return Track(kind, title, [window], done_at, [window.due] if end > window.due else [], name)


def _words(kind: str) -> str:
    return kind.replace("_", " ")


def stage1_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    start = facts.referred_at
    if start is None:
        return []
    rules = facts.policy.stage1
    disputes = [a.at for a in facts.acts_named(ActName.DISPUTE_AGE)]
    child = facts.is_child or bool(disputes and disputes[0] <= start)  # referred as a child, or by the dispute
    limit = rules.due_child if child else rules.due_adult
    done = facts.stage1
    why = f"referral; {spoken(limit)} for {'a child' if child else 'an adult'}"
    windows = [Window(start, start + limit, why)]
    if not child and disputes and disputes[0] < windows[0].due and (done is None or disputes[0] < done.at):
        disputed = disputes[0]  # a child from then: a child's limit, if it comes sooner
        if disputed + rules.due_child < windows[0].due:
            windows.append(Window(disputed, disputed + rules.due_child, f"age disputed; {spoken(rules.due_child)}"))
    end = done.at if done else as_of
    return [
        Track(
            ObligationKind.STAGE1_DECISION.value,
            "Stage 1 decision within the policy's limit after referral",
            windows,
            done.at if done else None,
            [windows[-1].due] if end > windows[-1].due else [],
        )
    ]


def stage2_track(facts: CaseFacts, as_of: datetime) -> Track | None:
    """Due at the end of the R&R period a positive Stage 1 opens; a recorded extension moves it. When it passes
    with Stage 2 pending, the policy's automatic extension follows (and the lapse stays a breach)."""
    stage1 = facts.stage1
    if stage1 is None or stage1.outcome is not Outcome.POSITIVE:
        return None
    policy, rr = facts.policy, facts.policy.rr
    end = stage1.at + policy.stage2_limit
    why = (
        f"R&R period of {spoken(rr.period)} from the positive Stage 1 decision"
        if policy.stage2_tied
        else f"Stage 2's own limit of {spoken(policy.stage2_limit)} from the positive Stage 1 decision"
    )
    windows = [Window(stage1.at, end, why)]
    done = facts.stage2
    limit = done.at if done else as_of
    # an extension of the R&R period moves Stage 2 only where Stage 2 is due at its end
    extensions = sorted(facts.extensions, key=lambda e: e.at) if policy.stage2_tied else []
    lapses: list[datetime] = []
    while len(lapses) < MAX_LAPSES:
        ext = extensions[0] if extensions else None
        if end < limit and (ext is None or end <= ext.at):
            lapses.append(end)
            step_why = "automatic R&R extension" if policy.stage2_tied else "overdue: due again a step later"
            windows.append(Window(end, end + rr.auto_extension_step, step_why))
            end += rr.auto_extension_step
        elif ext is not None and ext.at <= limit:
            extensions.pop(0)
            request = ext.request
            end = request.new_end or end + (request.extend_by or timedelta(0))
            windows.append(Window(ext.at, end, f"extended by {request.actor}"))
        else:
            break
    title = (
        "Stage 2 decision by the end of the R&R period (from a positive Stage 1, or as extended)"
        if policy.stage2_tied
        else "Stage 2 decision within its own limit after a positive Stage 1 (the R&R period ends before it)"
    )
    return Track(ObligationKind.STAGE2_DECISION.value, title, windows, done.at if done else None, lapses)


def stage2_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    track = stage2_track(facts, as_of)
    return [track] if track else []


def provision_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """Each provision the policy snapshot owes after a positive Stage 1 (48 h adult / 24 h child in the OSCE
    model), and each review an assessment set: due at the date of next review it recorded."""
    stage1 = facts.stage1
    if stage1 is None or stage1.outcome is not Outcome.POSITIVE:
        return []
    tracks: list[Track] = []
    who = "a child" if facts.is_child else "an adult"
    referral = facts.opening.referral
    for item, within in facts.policy.provisions_for(
        is_child=facts.is_child, unaccompanied=referral.unaccompanied, family_safe=referral.family_safe
    ):
        kind = item.kind.value
        done = facts.fulfilments(kind)
        tracks.append(
            single_window(
                kind,
                f"{_words(kind)} within the policy's limit after a positive Stage 1",
                Window(stage1.at, stage1.at + within, f"positive Stage 1; {spoken(within)} for {who}"),
                done[0].done_at if done else None,
                as_of,
            )
        )
        for number, (assessed, review) in enumerate(zip(done, [*done[1:], None], strict=False), start=2):
            if assessed.next_review is not None:
                tracks.append(
                    single_window(
                        kind,
                        f"{_words(kind)} reviewed by the date its last assessment set",
                        Window(assessed.recorded_at, assessed.next_review, f"review {number}"),
                        review.done_at if review else None,
                        as_of,
                        name=f"{kind}.review",
                    )
                )
    return tracks


def _child_from(facts: CaseFacts) -> datetime | None:
    """When the person came to be treated as a child: a child's referral, else the first age dispute."""
    if facts.is_child:
        return facts.referred_at
    disputes = facts.acts_named(ActName.DISPUTE_AGE)
    return disputes[0].at if disputes else None


def child_entry_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """What a child case owes from entry into the NRM (the policy's `children.from_entry`: a guardian advocate, a
    best-interests assessment, a legal guardian, the Golden Day plan), counted from the referral or the age
    dispute that made the person a child."""
    start = _child_from(facts)
    if start is None:
        return []
    referral = facts.opening.referral
    tracks = []
    for item, within in facts.policy.owed_from_entry(
        unaccompanied=referral.unaccompanied, family_safe=referral.family_safe
    ):
        kind = item.kind.value
        done = facts.fulfilments(kind)
        tracks.append(
            single_window(
                kind,
                f"{_words(kind)} within the policy's limit after a child's entry into the NRM",
                Window(start, start + within, f"entry of a child into the NRM; {spoken(within)}"),
                done[0].done_at if done else None,
                as_of,
            )
        )
    return tracks


def age_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """Each age dispute, and each adult finding the court remitted, owes an age assessment within
    `age.assessment_due`; each adult finding once final (domain.challenges) the guardian advocate's handover to an
    independent advocate within `age.handover_due`."""
    rules = facts.policy.age
    disputes = [(a.at, "age disputed") for a in facts.acts_named(ActName.DISPUTE_AGE)]
    if facts.opening.referral.age_disputed and facts.referred_at is not None:
        disputes.insert(0, (facts.referred_at, "age disputed at referral"))
    disputes += [
        (a.at, "adult finding remitted by the court")
        for a in AGE_FINDING.acts(facts, ActName.RECORD_JUDGMENT)
        if a.request.get("outcome") == JudgmentOutcome.REMITTED.value
    ]
    tracks = [
        single_window(
            ObligationKind.AGE_ASSESSMENT.value,
            "age assessment within the policy's limit after an age dispute",
            Window(at, at + rules.assessment_due, f"{why}; {spoken(rules.assessment_due)}"),
            _first_after(facts, ActName.RECORD_AGE_ASSESSMENT, at),
            as_of,
        )
        for at, why in sorted(disputes)
    ]
    tracks += [
        _handover_track(facts, at, "after a final adult finding", f"adult finding final ({why})", as_of)
        for at, why in _final_moments(facts, as_of, AGE_FINDING)
    ]
    return tracks


def _handover_track(facts: CaseFacts, at: datetime, after: str, why: str, as_of: datetime, name: str = "") -> Track:
    """The guardian advocate's handover to an independent advocate, owed from `at` within `age.handover_due`."""
    within = facts.policy.age.handover_due
    done = [f for f in facts.fulfilments(ObligationKind.ADVOCATE_HANDOVER.value) if f.recorded_at >= at]
    return single_window(
        ObligationKind.ADVOCATE_HANDOVER.value,
        f"guardian advocate's handover to an independent advocate {after}",
        Window(at, at + within, f"{why}; {spoken(within)}"),
        done[0].done_at if done else None,
        as_of,
        name,
    )


def coming_of_age_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """A child by the date of birth (never in an age dispute, which the age rules judge) owes a transition plan
    from `age.transition_plan_before` the coming of age until it, and when child-level support ends the guardian
    advocate's handover within `age.handover_due`: each from the dates the policy's ages give."""
    referral, rules = facts.opening.referral, facts.policy.age
    born = referral.person.date_of_birth
    disputed = referral.age_disputed or facts.acts_named(ActName.DISPUTE_AGE)
    if born is None or not referral.child_by_birth_date or disputed:
        return []
    of_age = aged(born, rules.majority, to_month=rules.counted_by_month)
    tracks: list[Track] = []
    start = max(of_age - rules.transition_plan_before, facts.opened_at)
    if of_age > facts.opened_at and as_of >= start:
        done = facts.fulfilments(ObligationKind.TRANSITION_PLAN.value)
        why = f"{spoken(rules.transition_plan_before)} before coming of age by the date of birth"
        tracks.append(
            single_window(
                ObligationKind.TRANSITION_PLAN.value,
                "transition plan before a child comes of age",
                Window(start, of_age, why),
                done[0].done_at if done else None,
                as_of,
            )
        )
    support_end = max(aged(born, rules.child_support_until, to_month=rules.counted_by_month), facts.opened_at)
    if as_of >= support_end and facts.deadlines_of(ObligationKind.GUARDIAN_ADVOCATE.value):
        after, why = "when child-level support ends", "child-level support ended"
        tracks.append(_handover_track(facts, support_end, after, why, as_of, name="advocate_handover.coming_of_age"))
    return tracks


def _first_after(facts: CaseFacts, act: ActName, at: datetime) -> datetime | None:
    return next((a.at for a in facts.acts_named(act) if a.at >= at), None)


def _negative_decisions(facts: CaseFacts) -> list[tuple[datetime, int]]:
    return sorted(
        (a.at, stage)
        for stage, name in ((1, ActName.STAGE1_DECISION), (2, ActName.STAGE2_DECISION))
        for a in facts.acts_named(name)
        if DecisionRequest.model_validate(a.request).outcome is Outcome.NEGATIVE
    )


@dataclass(frozen=True)
class Challenged:
    """Decisions the audit follows through their challenge (domain.challenges): the acts that challenge them (by
    the `of` they name), when each decision was issued (its rights began), and the suffix of their rules' names."""

    subjects: tuple[ChallengeSubject | None, ...]
    issued: Callable[[CaseFacts], list[tuple[datetime, str]]]
    suffix: str = ""
    decision: str = "a negative decision"

    def acts(self, facts: CaseFacts, name: ActName) -> list[Act]:
        return [a for a in facts.acts_named(name) if _of(a) in self.subjects]

    def first_after(self, facts: CaseFacts, name: ActName, at: datetime) -> datetime | None:
        return next((a.at for a in self.acts(facts, name) if a.at >= at), None)

    @property
    def identification(self) -> bool:
        return None in self.subjects


def _of(act: Act) -> ChallengeSubject | None:
    value = act.request.get("of")
    return ChallengeSubject(value) if value else None


def _confirmations(facts: CaseFacts) -> list[tuple[datetime, int, Act | None]]:
    """Each negative decision the policy has the review panel confirm before it is issued, with the panel's
    decision on it (the first review after it), if recorded yet."""
    rules = facts.policy.appeals
    reviews = IDENTIFICATION.acts(facts, ActName.RECORD_REVIEW)
    return [
        (at, stage, next((r for r in reviews if r.at >= at), None))
        for at, stage in _negative_decisions(facts)
        if stage in rules.panel_confirms
    ]


def _issued_negatives(facts: CaseFacts) -> list[tuple[datetime, str]]:
    """When each negative decision was issued (its rights began): at once, or when the panel upheld it."""
    provisional = {at for at, _, _ in _confirmations(facts)}
    issued = [(at, f"negative Stage {stage} decision") for at, stage in _negative_decisions(facts)]
    issued = [i for i in issued if i[0] not in provisional]
    issued += [
        (review.at, f"negative Stage {stage} decision confirmed by the review panel")
        for _, stage, review in _confirmations(facts)
        if review is not None and ReviewRequest.model_validate(review.request).outcome is ReviewOutcome.UPHELD
    ]
    return sorted(issued)


def _adult_findings(facts: CaseFacts) -> list[tuple[datetime, str]]:
    return [
        (a.at, "age assessed as adult")
        for a in facts.acts_named(ActName.RECORD_AGE_ASSESSMENT)
        if AgeAssessmentRequest.model_validate(a.request).outcome is AgeFinding.ADULT
    ]


def _refusals(facts: CaseFacts) -> list[tuple[datetime, str]]:
    return [
        (a.at, "permit refused")
        for a in facts.acts_named(ActName.PERMIT_DECISION)
        if PermitRequest.model_validate(a.request).action is PermitAction.REFUSE
    ]


IDENTIFICATION = Challenged((None, ChallengeSubject.STAGE1, ChallengeSubject.STAGE2), _issued_negatives)
AGE_FINDING = Challenged((ChallengeSubject.AGE,), _adult_findings, ".age", "an adult age finding")
PERMIT_REFUSAL = Challenged((ChallengeSubject.PERMIT,), _refusals, ".permit", "a permit refusal")


def _appeal_windows(facts: CaseFacts, of: Challenged) -> list[tuple[datetime, str]]:
    """When a window to lodge an appeal opened: an upheld reconsideration, a dismissed appeal with a level left."""
    rules = facts.policy.appeals
    if not rules.has_appeal:
        return []
    confirming = (
        {review.at for _, _, review in _confirmations(facts) if review is not None} if of.identification else set()
    )
    opened = [
        (a.at, "reconsideration upheld")
        for a in of.acts(facts, ActName.RECORD_REVIEW)
        if ReviewRequest.model_validate(a.request).outcome is ReviewOutcome.UPHELD and a.at not in confirming
    ]
    for a in of.acts(facts, ActName.RECORD_JUDGMENT):
        lodged = sum(1 for x in of.acts(facts, ActName.LODGE_APPEAL) if x.at <= a.at)
        judged = JudgmentRequest.model_validate(a.request)
        if judged.outcome is JudgmentOutcome.DISMISSED and lodged < rules.appeal_levels:
            opened.append((a.at, "appeal dismissed, a further level open"))
    return sorted(opened)


def reconsideration_request_tracks(facts: CaseFacts, as_of: datetime, of: Challenged = IDENTIFICATION) -> list[Track]:
    """The window a decision challenged opens to request reconsideration (an obligation of the person's advocate)."""
    within = facts.policy.appeals.reconsideration_window
    kind = ObligationKind.RECONSIDERATION_REQUEST.value
    return [
        single_window(
            kind,
            f"reconsideration requested within the window {of.decision} opens",
            Window(at, at + within, f"{why}; {spoken(within)}"),
            of.first_after(facts, ActName.REQUEST_RECONSIDERATION, at),
            as_of,
            name=kind + of.suffix,
        )
        for at, why in of.issued(facts)
    ]


def reconsideration_review_tracks(facts: CaseFacts, as_of: datetime, of: Challenged = IDENTIFICATION) -> list[Track]:
    """The review panel decides within the policy's time of each request, and of each negative decision that the
    policy has it confirm before it is issued."""
    within = facts.policy.appeals.review_due
    kind = ObligationKind.RECONSIDERATION_REVIEW.value
    starts = [(a.at, "reconsideration requested") for a in of.acts(facts, ActName.REQUEST_RECONSIDERATION)]
    after = "a request"
    if of.identification:
        starts += [(at, f"negative Stage {stage} decision, provisional") for at, stage, _ in _confirmations(facts)]
        after += " or a provisional negative"
    return [
        single_window(
            kind,
            f"review panel's decision within the policy's limit after {after}",
            Window(at, at + within, f"{why}; {spoken(within)}"),
            of.first_after(facts, ActName.RECORD_REVIEW, at),
            as_of,
            name=kind + of.suffix,
        )
        for at, why in sorted(starts)
    ]


def appeal_lodging_tracks(facts: CaseFacts, as_of: datetime, of: Challenged = IDENTIFICATION) -> list[Track]:
    within = facts.policy.appeals.appeal_window
    if within is None:
        return []
    kind = ObligationKind.APPEAL_LODGING.value
    return [
        single_window(
            kind,
            "appeal lodged within the window after an upheld reconsideration",
            Window(at, at + within, f"{why}; {spoken(within)}"),
            of.first_after(facts, ActName.LODGE_APPEAL, at),
            as_of,
            name=kind + of.suffix,
        )
        for at, why in _appeal_windows(facts, of)
    ]


def challenge_tracks(of: Challenged) -> Callable[[CaseFacts, datetime], list[Track]]:
    """Every window and review of a challenge of `of`: the rules `<kind><suffix>` for an age finding or a refusal."""

    def tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
        return [
            *reconsideration_request_tracks(facts, as_of, of),
            *reconsideration_review_tracks(facts, as_of, of),
            *appeal_lodging_tracks(facts, as_of, of),
        ]

    return tracks


def _final_moments(facts: CaseFacts, as_of: datetime, of: Challenged) -> list[tuple[datetime, str]]:
    """When a decision challenged became final: a window closed unused, an upheld reconsideration where the policy
    has no appeal, or the last level of appeal dismissed."""
    rules = facts.policy.appeals
    moments = [
        (t.windows[0].due, "window closed unused")
        for t in (*reconsideration_request_tracks(facts, as_of, of), *appeal_lodging_tracks(facts, as_of, of))
        if t.lapses and (t.done_at is None or t.done_at > t.windows[0].due)
    ]
    if not rules.has_appeal:
        moments += [
            (a.at, "reconsideration upheld, no appeal")
            for a in of.acts(facts, ActName.RECORD_REVIEW)
            if ReviewRequest.model_validate(a.request).outcome is ReviewOutcome.UPHELD
        ]
    for a in of.acts(facts, ActName.RECORD_JUDGMENT):
        lodged = sum(1 for x in of.acts(facts, ActName.LODGE_APPEAL) if x.at <= a.at)
        if (
            JudgmentRequest.model_validate(a.request).outcome is JudgmentOutcome.DISMISSED
            and lodged >= rules.appeal_levels
        ):
            moments.append((a.at, "last appeal dismissed"))
    return sorted(moments)


def child_at(facts: CaseFacts, as_of: datetime) -> bool:
    """As the case treats the person at `as_of`: an age dispute makes a child, a child or inconclusive result settles
    one, an adult finding counts only once final (its challenge set aside: a child again)."""
    changes = [(a.at, True) for a in facts.acts_named(ActName.DISPUTE_AGE)]
    changes += [
        (a.at, True)
        for a in facts.acts_named(ActName.RECORD_AGE_ASSESSMENT)
        if AgeAssessmentRequest.model_validate(a.request).outcome is not AgeFinding.ADULT
    ]
    changes += [(at, False) for at, _ in _final_moments(facts, as_of, AGE_FINDING)]
    changes += [(a.at, True) for a in _set_aside(facts, AGE_FINDING, remitted=True)]
    return max((c for c in changes if c[0] <= as_of), default=(facts.opened_at, facts.is_child))[1]


def final_support_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """A final negative owes a vulnerability assessment and an onward referral (support never just stops)."""
    final = min(_final_moments(facts, as_of, IDENTIFICATION), default=None)
    if final is None:
        return []
    at, why = final
    within = facts.policy.appeals.final_support_due
    tracks = []
    owed = [ObligationKind.VULNERABILITY_ASSESSMENT, ObligationKind.ONWARD_REFERRAL]
    if facts.is_child:  # a child's next steps are assessed in the child's best interests, whatever the outcome
        owed.append(ObligationKind.BEST_INTERESTS_ASSESSMENT)
    for kind in owed:
        done = [f for f in facts.fulfilments(kind.value) if f.recorded_at >= at]
        tracks.append(
            single_window(
                kind.value,
                f"{_words(kind.value)} within the policy's limit after a final negative",
                Window(at, at + within, f"final negative ({why}); {spoken(within)}"),
                done[0].done_at if done else None,
                as_of,
                name=f"{kind.value}.final_negative" if kind is ObligationKind.BEST_INTERESTS_ASSESSMENT else "",
            )
        )
    return tracks


def _set_aside(facts: CaseFacts, of: Challenged, *, remitted: bool) -> list[Act]:
    """The reviews overturning and the judgments allowing (or, with `remitted`, remitting) a decision of `of`."""
    found = [a for a in of.acts(facts, ActName.RECORD_REVIEW) if a.request.get("outcome") == "overturned"]
    outcomes = {"allowed", "remitted"} if remitted else {"allowed"}
    found += [a for a in of.acts(facts, ActName.RECORD_JUDGMENT) if a.request.get("outcome") in outcomes]
    return sorted(found, key=lambda a: a.at)


def remitted_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """A stage the court remitted is decided again: Stage 1 within the policy's Stage 1 time, Stage 2 within
    `stage2_redecision_due`, counted from the judgment's recording."""
    negatives = _negative_decisions(facts)
    tracks = []
    for a in IDENTIFICATION.acts(facts, ActName.RECORD_JUDGMENT):
        if JudgmentRequest.model_validate(a.request).outcome is not JudgmentOutcome.REMITTED:
            continue
        stage = next((st for at, st in reversed(negatives) if at <= a.at), 1)
        if stage == 1:
            kind, act, within = ObligationKind.STAGE1_DECISION, ActName.STAGE1_DECISION, _stage1_limit(facts)
        else:
            kind, act, within = ObligationKind.STAGE2_DECISION, ActName.STAGE2_DECISION, _redecision(facts)
        tracks.append(
            single_window(
                kind.value,
                f"Stage {stage} decided again within the policy's limit after the court remitted it",
                Window(a.at, a.at + within, f"remitted by the court; {spoken(within)}"),
                _first_after(facts, act, a.at),
                as_of,
                name=f"{kind.value}.remitted",
            )
        )
    return tracks


def _stage1_limit(facts: CaseFacts) -> timedelta:
    rules = facts.policy.stage1
    return rules.due_child if facts.is_child else rules.due_adult


def _redecision(facts: CaseFacts) -> timedelta:
    return facts.policy.appeals.stage2_redecision_due


def _confirmed_victim_at(facts: CaseFacts) -> list[datetime]:
    """When the case became a confirmed victim: a positive Stage 2, or a negative Stage 2 overturned or allowed."""
    moments = [
        a.at
        for a in facts.acts_named(ActName.STAGE2_DECISION)
        if DecisionRequest.model_validate(a.request).outcome is Outcome.POSITIVE
    ]
    negatives = _negative_decisions(facts)
    moments += [
        a.at
        for a in _set_aside(facts, IDENTIFICATION, remitted=False)
        if next((st for at, st in reversed(negatives) if at <= a.at), 1) == 2
    ]
    return sorted(moments)


@dataclass(frozen=True)
class PermitAct:
    """A permit decision as the history shows it: `decides` the owed permit it granted or refused, or None when it
    decided the renewal of the permit held."""

    at: datetime
    request: PermitRequest
    decides: PermitType | None


def _owed_permits(facts: CaseFacts, as_of: datetime) -> dict[PermitType, tuple[datetime, timedelta, str]]:
    """Each permit the case came to owe: since when, within what, and why. The interim one once, when Stage 2 first
    fell overdue at the end of the R&R period before any conclusive positive."""
    rules = facts.policy.permits
    if rules is None:
        return {}
    confirmed = _confirmed_victim_at(facts)
    owed: dict[PermitType, tuple[datetime, timedelta, str]] = {}
    if confirmed:
        owed[PermitType.RESIDENCE] = (confirmed[0], rules.issue_within, "conclusive positive")
    stage2 = stage2_track(facts, as_of)
    if stage2 is not None and stage2.lapses and (not confirmed or stage2.lapses[0] < confirmed[0]):
        owed[PermitType.INTERIM] = (stage2.lapses[0], rules.interim_within, "Stage 2 overdue at the end of the R&R")
    return owed


def permit_acts(facts: CaseFacts, as_of: datetime) -> list[PermitAct]:
    """Which decision each permit act was, in the case's own order: a grant or refusal decides an owed permit
    (the one named, else the residence permit before the interim one) while one awaits its decision."""
    owed = _owed_permits(facts, as_of)
    decided: set[PermitType] = set()
    acts: list[PermitAct] = []
    again = [a.at for a in _set_aside(facts, PERMIT_REFUSAL, remitted=True)]
    for a in facts.acts_named(ActName.PERMIT_DECISION):
        while again and again[0] <= a.at:  # a refusal set aside or remitted: the permit it refused is owed again
            at = again.pop(0)
            refused = next((p for p in reversed(acts) if p.at < at and p.request.action is PermitAction.REFUSE), None)
            if refused is not None and refused.decides is not None:
                decided.discard(refused.decides)
        request = PermitRequest.model_validate(a.request)
        awaiting = [
            t
            for t in (PermitType.RESIDENCE, PermitType.INTERIM)
            if t in owed and owed[t][0] <= a.at and t not in decided and request.permit in (None, t)
        ]
        decides = awaiting[0] if awaiting and request.action is not PermitAction.RENEW else None
        if decides is not None:
            decided |= {decides, PermitType.INTERIM} if decides is PermitType.RESIDENCE else {decides}
        acts.append(PermitAct(a.at, request, decides))
    return acts


def permit_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """A residence permit decided within the policy's limit of the conclusive positive; an interim permit within its
    limit of Stage 2 falling overdue at the end of the R&R period; each permit's renewal decided by its expiry (its
    validities are the windows; a refused renewal, or the residence permit superseding an interim one, ends it)."""
    owed = _owed_permits(facts, as_of)
    decided: dict[PermitType, datetime] = {}
    renewals: list[Track] = []
    held: tuple[PermitType, Track] | None = None
    for act in permit_acts(facts, as_of):
        request, kind = act.request, act.decides
        if kind is not None:
            decided.setdefault(kind, act.at)  # a permit owed again after a refusal is judged by permit_again_tracks
            if kind is PermitType.RESIDENCE and PermitType.INTERIM in owed:
                decided.setdefault(PermitType.INTERIM, act.at)  # superseded before it was decided
            if held is not None and kind is PermitType.RESIDENCE:
                _end_renewal(held[1], act.at)
                held = None
            if request.action is PermitAction.GRANT and request.valid_until is not None:
                track = Track(
                    ObligationKind.PERMIT_RENEWAL.value,
                    f"renewal of the {kind.value} permit decided by its expiry",
                    [Window(act.at, request.valid_until, f"{kind.value} permit granted")],
                    None,
                    [],
                    name=f"{ObligationKind.PERMIT_RENEWAL.value}.{kind.value}",
                )
                renewals.append(track)
                held = (kind, track)
        elif held is not None and request.permit in (None, held[0]):
            track = held[1]
            if request.action is PermitAction.RENEW and request.valid_until is not None:
                if track.windows[-1].due < act.at:
                    track.lapses.append(track.windows[-1].due)
                track.windows.append(Window(act.at, request.valid_until, "renewed"))
            else:
                _end_renewal(track, act.at)
                held = None
    if held is not None and held[1].windows[-1].due <= as_of:
        held[1].lapses.append(held[1].windows[-1].due)
    tracks = [
        single_window(
            (ObligationKind.RESIDENCE_PERMIT if kind is PermitType.RESIDENCE else ObligationKind.INTERIM_PERMIT).value,
            f"{kind.value} permit decided within the policy's limit ({why})",
            Window(since, since + within, f"{why}; {spoken(within)}"),
            decided.get(kind),
            as_of,
        )
        for kind, (since, within, why) in owed.items()
    ]
    return tracks + renewals


def permit_again_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """A permit refusal set aside (or remitted) on challenge owes the permit again, decided within the policy's
    limit for it (a refused renewal: within `issue_within`), counted from the review or judgment."""
    rules = facts.policy.permits
    if rules is None:
        return []
    acts = permit_acts(facts, as_of)
    tracks = []
    for a in _set_aside(facts, PERMIT_REFUSAL, remitted=True):
        refused = next((p for p in reversed(acts) if p.at < a.at and p.request.action is PermitAction.REFUSE), None)
        if refused is None:
            continue
        if refused.decides is None:
            kind, within = ObligationKind.PERMIT_RENEWAL, rules.issue_within
        elif refused.decides is PermitType.RESIDENCE:
            kind, within = ObligationKind.RESIDENCE_PERMIT, rules.issue_within
        else:
            kind, within = ObligationKind.INTERIM_PERMIT, rules.interim_within
        why = f"refusal {a.request.get('outcome')} on challenge"
        tracks.append(
            single_window(
                kind.value,
                f"{_words(kind.value)} decided again within the policy's limit after its refusal was set aside",
                Window(a.at, a.at + within, f"{why}; {spoken(within)}"),
                next((p.at for p in acts if p.at > a.at), None),
                as_of,
                name=f"{kind.value}.owed_again",
            )
        )
    return tracks


def _end_renewal(track: Track, at: datetime) -> None:
    if track.windows[-1].due < at:
        track.lapses.append(track.windows[-1].due)
    track.done_at = at


def return_tracks(facts: CaseFacts, as_of: datetime) -> list[Track]:
    """Each voluntary return: the pre-return risk assessment within its limit of the request; after a clear one the
    plan without undue delay; each planned departure carried out by its time, replaced by a new plan before it, or
    stopped at its time by a hold with the person told why (a return letter then, not a breach); then each
    reintegration check-in by its time, counted as the case counts them, while monitoring lasts; where the receiving
    country was contacted, the record of the reception after the departure."""
    rules = facts.policy.returns
    if rules is None:
        return []
    requests = facts.acts_named(ActName.REQUEST_RETURN)
    stops = [
        letter.at
        for letter in facts.letters
        if letter.template == "return_letter" and letter.content.get("event") == "stopped"
    ]
    tracks: list[Track] = []
    for n, asked in enumerate(requests):
        until = requests[n + 1].at if n + 1 < len(requests) else None
        assessed = facts.acts_between(ActName.ASSESS_RETURN, asked.at, until)
        tracks.append(
            single_window(
                ObligationKind.PRE_RETURN_RISK_ASSESSMENT.value,
                "pre-return risk assessment within the policy's limit of the person's request",
                Window(
                    asked.at, asked.at + rules.assessment_within, f"return requested; {spoken(rules.assessment_within)}"
                ),
                assessed[0].at if assessed else None,
                as_of,
            )
        )
        if not assessed or ReturnAssessmentRequest.model_validate(assessed[0].request).risk_found:
            continue
        clear = assessed[0].at
        plans = facts.acts_between(ActName.PLAN_RETURN, clear, until)
        tracks.append(
            single_window(
                ObligationKind.RETURN_PLAN.value,
                "return planned without undue delay after a clear risk assessment",
                Window(clear, clear + rules.plan_within, f"no risk found; {spoken(rules.plan_within)}"),
                plans[0].at if plans else None,
                as_of,
            )
        )
        departed: Act | None = None
        coordinated = False  # the plan the person left under had the receiving country contacted
        for i, plan in enumerate(plans):
            following = plans[i + 1].at if i + 1 < len(plans) else until
            due = ReturnPlanRequest.model_validate(plan.request).departure_at
            left = next(iter(facts.acts_between(ActName.RECORD_DEPARTURE, plan.at, following)), None)
            stopped = next((t for t in stops if t >= due - TOLERANCE and (following is None or t < following)), None)
            done = (
                left.at
                if left
                else min(stopped, due)
                if stopped
                else following
                if following and following < due
                else None
            )
            if departed is None and left is not None:
                departed, coordinated = left, ReturnPlanRequest.model_validate(plan.request).coordinate
            tracks.append(
                single_window(
                    ObligationKind.RETURN_DEPARTURE.value,
                    "departure as planned (or replaced, or stopped at its time by a hold, the person told why)",
                    Window(plan.at, due, "return planned" if left or not stopped else "stopped at its time by a hold"),
                    done,
                    as_of,
                )
            )
        if departed is not None and coordinated:
            tracks.append(_reception_track(facts, rules, departed, until, as_of))
        if departed is not None and ReturnRequest.model_validate(asked.request).monitoring:
            check_ins = facts.acts_between(ActName.RECORD_CHECK_IN, departed.at, until)
            tracks += _check_in_tracks(facts, rules, departed, check_ins, as_of)
    return tracks


def _reception_track(
    facts: CaseFacts, rules: ReturnRules, departed: Act, until: datetime | None, as_of: datetime
) -> Track:
    left = DepartureRequest.model_validate(departed.request).departed_at or departed.at
    received = facts.acts_between(ActName.RECORD_RECEPTION, departed.at, until)
    return single_window(
        ObligationKind.RETURN_RECEPTION.value,
        "the receiving side's record of the reception within the policy's limit of the departure",
        Window(
            left,
            left + rules.reception_within,
            f"departed, the receiving country contacted; {spoken(rules.reception_within)}",
        ),
        ReceptionRequest.model_validate(received[0].request).when or received[0].at if received else None,
        as_of,
    )


def _check_in_tracks(
    facts: CaseFacts, rules: ReturnRules, departed: Act, check_ins: list[Act], as_of: datetime
) -> list[Track]:
    """The check-ins the schedule owes after a departure: each due an interval after the last one's due time,
    owed from when the last was recorded; monitoring ends after its period or at a re-trafficking indicator."""
    left = DepartureRequest.model_validate(departed.request).departed_at or departed.at
    end = monitoring_end(facts.opening.referral, facts.policy.age, left, rules, child_at(facts, left))
    tracks: list[Track] = []
    due, owed_from = left, departed.at
    for k in range(MAX_LAPSES):
        due += rules.check_in_every[min(k, len(rules.check_in_every) - 1)]
        if due > end:
            break
        done = check_ins[k] if k < len(check_ins) else None
        request = CheckInRequest.model_validate(done.request) if done else None
        tracks.append(
            single_window(
                ObligationKind.REINTEGRATION_CHECK_IN.value,
                "reintegration check-in by its time (monthly, then quarterly, while monitoring lasts)",
                Window(owed_from, due, f"check-in {k + 1} after the departure"),
                (request.when or done.at) if done and request else None,
                as_of,
            )
        )
        if done is None or (request is not None and request.retrafficking):
            break
        owed_from = done.at
    return tracks


@dataclass(frozen=True)
class DeadlineRule:
    """A kind of duty and how its tracks follow from the history; `name` stands for it when none applies."""

    name: str
    tracks: Callable[[CaseFacts, datetime], list[Track]]


DEADLINE_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule(ObligationKind.STAGE1_DECISION.value, stage1_tracks),
    DeadlineRule(ObligationKind.STAGE2_DECISION.value, stage2_tracks),
    DeadlineRule("provisions", provision_tracks),
    DeadlineRule("child_from_entry", child_entry_tracks),
    DeadlineRule("age", age_tracks),
    DeadlineRule("coming_of_age", coming_of_age_tracks),
    DeadlineRule(ObligationKind.RECONSIDERATION_REQUEST.value, reconsideration_request_tracks),
    DeadlineRule(ObligationKind.RECONSIDERATION_REVIEW.value, reconsideration_review_tracks),
    DeadlineRule(ObligationKind.APPEAL_LODGING.value, appeal_lodging_tracks),
    DeadlineRule("final_negative_support", final_support_tracks),
    DeadlineRule("remitted_decision", remitted_tracks),
    DeadlineRule("permits", permit_tracks),
    DeadlineRule("challenge.age", challenge_tracks(AGE_FINDING)),
    DeadlineRule("challenge.permit", challenge_tracks(PERMIT_REFUSAL)),
    DeadlineRule("permit_owed_again", permit_again_tracks),
    DeadlineRule("voluntary_return", return_tracks),
)


def observed_tracks(facts: CaseFacts, covered: set[str], as_of: datetime) -> list[Track]:
    """Deadline kinds the case published that no rule covers: checked against the case's own due times."""
    tracks: list[Track] = []
    for kind in dict.fromkeys(d.kind for d in facts.deadlines if d.kind not in covered):
        dues = facts.deadlines_of(kind)
        last = dues[-1]
        done_at = last.ended_at if last.ended_at and not last.passed_by(last.ended_at) else None
        tracks.append(
            Track(
                kind,
                f"{_words(kind)} (due times as the case published them; no rule of its own yet)",
                [Window(d.set_at, d.due, "published by the case") for d in dues],
                done_at,
                [d.due for d in dues if d.passed_by(as_of)],
            )
        )
    return tracks


# ---- checks every track gets ------------------------------------------------------------------------------


def deadline_finding(track: Track, as_of: datetime) -> Finding:
    first = track.windows[0]
    if track.lapses:
        due = track.lapses[0]
        done = track.done_at
        delay = (done or as_of) - due
        state = (
            f"done {measured(delay)} late"
            if done
            else f"still open, {measured(delay)} overdue as of {as_of:%Y-%m-%d %H:%M:%S} UTC"
        )
        return Finding(
            rule=track.name,
            deadline=track.title,
            status=Status.BREACHED,
            due_at=due,
            done_at=done,
            delay=delay,
            detail=f"{first.why}; due {due:%Y-%m-%d %H:%M:%S} UTC; {state}",
        )
    due = track.windows[-1].due
    moved = f"; due moved {len(track.windows) - 1} time(s)" if len(track.windows) > 1 else ""
    if track.done_at is not None:
        return Finding(
            rule=track.name,
            deadline=track.title,
            status=Status.MET,
            due_at=due,
            done_at=track.done_at,
            detail=f"{first.why}; done {measured(due - track.done_at)} before the due time{moved}",
        )
    return Finding(
        rule=track.name,
        deadline=track.title,
        status=Status.PENDING,
        due_at=due,
        detail=f"{first.why}; open since {first.start:%Y-%m-%d %H:%M:%S} UTC{moved}",
    )


def _expected_reminders(track: Track, policy: Policy, as_of: datetime) -> list[datetime]:
    """When the owner was to be reminded in each window (domain.deadlines.reminder_schedule), up to its end."""
    kind = ObligationKind(track.kind)
    times: list[datetime] = []
    for i, w in enumerate(track.windows):
        closes = [w.due, as_of]
        if i + 1 < len(track.windows):
            closes.append(track.windows[i + 1].start)
        if track.done_at is not None:
            closes.append(track.done_at)
        times += [t for t in reminder_schedule(kind, w.start, w.due, policy) if t < min(closes)]
    return times


def _match(expected: list[datetime], alerts: list[Alert], as_of: datetime, what: str, rule: str, title: str) -> Finding:
    """Pair each time an alert was owed with the first unused alert sent from then on."""
    if not expected:
        return Finding(rule=rule, deadline=title, status=Status.NOT_APPLICABLE, detail=f"no {what} was due")
    unused = sorted(alerts, key=lambda a: a.at)
    missing: list[datetime] = []
    undelivered: list[Alert] = []
    delays: list[timedelta] = []
    waiting = 0
    for t in expected:
        alert = next((a for a in unused if a.at >= t - TOLERANCE), None)
        if alert is None:
            if as_of - t < GRACE:
                waiting += 1
            else:
                missing.append(t)
            continue
        unused.remove(alert)
        delays.append(max(alert.at - t, timedelta(0)))
        if not alert.delivered and (alert.ended_at is not None or as_of - alert.at >= GRACE):
            undelivered.append(alert)
    sent = len(expected) - len(missing) - waiting
    if missing or undelivered:
        parts = (
            [
                f"{len(missing)} of {len(expected)} {what}(s) never sent, owed at "
                + ", ".join(f"{t:%Y-%m-%d %H:%M:%S}" for t in missing)
                + " UTC"
            ]
            if missing
            else []
        )
        parts += [f"{what} scheduled {a.at:%Y-%m-%d %H:%M:%S} UTC not delivered ({a.how})" for a in undelivered]
        first = missing[0] if missing else undelivered[0].at
        return Finding(
            rule=rule,
            deadline=title,
            status=Status.BREACHED,
            due_at=first,
            delay=as_of - first,
            detail="; ".join(parts),
        )
    if waiting:
        return Finding(
            rule=rule,
            deadline=title,
            status=Status.PENDING,
            detail=f"{sent} of {len(expected)} {what}(s) sent, {waiting} falling due now",
        )
    latest = f"; the latest {measured(max(delays))} after its time" if delays else ""
    return Finding(
        rule=rule, deadline=title, status=Status.MET, detail=f"{sent} of {len(expected)} {what}(s) sent{latest}"
    )


def reminders_finding(track: Track, facts: CaseFacts, as_of: datetime) -> Finding:
    expected = _expected_reminders(track, facts.policy, as_of)
    alerts = [a for a in facts.alerts if a.kind == "reminder" and a.obligation_kind == track.kind]
    permits = facts.policy.permits
    if track.kind == ObligationKind.PERMIT_RENEWAL.value and permits is not None:
        when = f"{', '.join(spoken(b) for b in permits.renewal_reminders)} before the permit expires"
    else:
        fractions = ", ".join(f"{f:.0%}" for f in facts.policy.reminders.at_fractions)
        when = f"at {fractions} of each {_words(track.kind)} window"
    return _match(expected, alerts, as_of, "reminder", f"{track.name}.reminders", f"reminders to the owner {when}")


def escalation_finding(track: Track, facts: CaseFacts, as_of: datetime) -> Finding:
    alerts = [a for a in facts.alerts if a.kind == "escalation" and a.obligation_kind == track.kind]
    return _match(
        track.lapses,
        alerts,
        as_of,
        "escalation",
        f"{track.name}.escalation",
        f"escalation to the {facts.policy.escalation.to_role.value} when the {_words(track.kind)} is overdue",
    )


RR_CONTINUITY = "rr_extended_not_lapsed"  # a rule every case is judged by, like DEADLINE_RULES


STAGE2_POLICY_LIMIT = "stage2_decision.policy_limit"  # judged for every case, like RR_CONTINUITY


def stage2_policy_limit_finding(facts: CaseFacts, as_of: datetime) -> Finding:
    """Stage 2 against the policy's fixed limit after a positive Stage 1: an extension moves the case's working due
    time but not this one (an authority cannot extend its own deadline silently). A decision after it is late, with
    the recorded extensions and their reasons shown as its stated justification."""
    rule = STAGE2_POLICY_LIMIT
    title = "Stage 2 decision within the policy's limit after a positive Stage 1 (extensions do not move it)"
    stage1 = facts.stage1
    if stage1 is None or stage1.outcome is not Outcome.POSITIVE:
        return Finding(rule=rule, deadline=title, status=Status.NOT_APPLICABLE, detail="no positive Stage 1")
    due = stage1.at + facts.policy.stage2_limit
    done = facts.stage2.at if facts.stage2 else None
    if (done or as_of) <= due:
        status = Status.MET if done else Status.PENDING
        return Finding(
            rule=rule,
            deadline=title,
            status=status,
            due_at=due,
            done_at=done,
            detail=f"due {due:%Y-%m-%d %H:%M:%S} UTC, {spoken(facts.policy.stage2_limit)} after Stage 1",
        )
    delay = (done or as_of) - due
    stated = [
        f"{e.request.actor} on {e.at:%Y-%m-%d}: {e.request.reasons}"
        for e in facts.extensions
        if e.at <= (done or as_of)
    ]
    state = f"decided {measured(delay)} late" if done else f"still open, {measured(delay)} past it"
    justification = "; ".join(stated) if stated else "none recorded (only automatic extensions)"
    return Finding(
        rule=rule,
        deadline=title,
        status=Status.BREACHED,
        due_at=due,
        done_at=done,
        delay=delay,
        detail=f"due {due:%Y-%m-%d %H:%M:%S} UTC; {state}; stated justification: {justification}",
    )


def rr_continuity_finding(stage2: Track | None, facts: CaseFacts, as_of: datetime) -> Finding:
    """Each time the R&R period ended with Stage 2 pending, the case must have gone on to the extended end:
    proven by the Stage 2 deadline the case published then for the new end (the period never just lapses)."""
    rule, title = RR_CONTINUITY, "R&R period extended rather than lapsed while Stage 2 is pending"
    if not facts.policy.stage2_tied:
        return Finding(
            rule=rule,
            deadline=title,
            status=Status.NOT_APPLICABLE,
            detail="Stage 2 has a limit of its own: the R&R period ends by itself, and removal stays suspended until "
            "the conclusive decision",
        )
    if stage2 is None or not stage2.lapses:
        return Finding(
            rule=rule,
            deadline=title,
            status=Status.NOT_APPLICABLE,
            detail="the R&R period never ended with Stage 2 pending",
        )
    step = facts.policy.rr.auto_extension_step
    dues = facts.deadlines_of(stage2.kind)
    for lapse in stage2.lapses:
        new_end = lapse + step
        if any(d.set_at >= lapse - TOLERANCE and abs(d.due - new_end) <= TOLERANCE for d in dues):
            continue
        if as_of - lapse < GRACE:
            return Finding(
                rule=rule, deadline=title, status=Status.PENDING, due_at=lapse, detail="the R&R period is ending now"
            )
        return Finding(
            rule=rule,
            deadline=title,
            status=Status.BREACHED,
            due_at=lapse,
            delay=as_of - lapse,
            detail=f"the R&R period ended {lapse:%Y-%m-%d %H:%M:%S} UTC with Stage 2 pending and the "
            f"history shows no extension to {new_end:%Y-%m-%d %H:%M:%S} UTC",
        )
    return Finding(
        rule=rule,
        deadline=title,
        status=Status.MET,
        detail=f"extended automatically {len(stage2.lapses)} time(s) by {spoken(step)}",
    )


# ---- case and aggregate -----------------------------------------------------------------------------------


# identification decisions: judged only until an adult withdrew consent to referral (none is owed from then)
DECISION_RULES = frozenset(
    {ObligationKind.STAGE1_DECISION.value, ObligationKind.STAGE2_DECISION.value, "remitted_decision"}
)


def evaluate(facts: CaseFacts, as_of: datetime) -> CaseCompliance:
    findings: list[Finding] = []
    tracks: list[Track] = []
    withdrawn = facts.referral_withdrawn_at
    decisions_as_of = min(as_of, withdrawn) if withdrawn else as_of
    for rule in DEADLINE_RULES:
        found = rule.tracks(facts, decisions_as_of if rule.name in DECISION_RULES else as_of)
        if not found:
            findings.append(
                Finding(
                    rule=rule.name,
                    deadline=_words(rule.name),
                    status=Status.NOT_APPLICABLE,
                    detail="this deadline never started in this case",
                )
            )
        tracks += found
    tracks += observed_tracks(facts, {t.kind for t in tracks} | {r.name for r in DEADLINE_RULES}, as_of)
    for track in tracks:
        at = decisions_as_of if track.kind in DECISION_RULES else as_of
        findings += [
            deadline_finding(track, at),
            reminders_finding(track, facts, at),
            escalation_finding(track, facts, at),
        ]
    stage2 = next((t for t in tracks if t.name == ObligationKind.STAGE2_DECISION.value), None)
    findings.append(rr_continuity_finding(stage2, facts, decisions_as_of))
    findings.append(stage2_policy_limit_finding(facts, decisions_as_of))
    return CaseCompliance(
        reference=facts.reference,
        policy=facts.policy.label,
        policy_sha256=facts.policy.source_sha256,
        is_child=facts.is_child,
        as_of=as_of,
        findings=findings,
    )


def evaluate_history(events: list[AuditEvent], as_of: datetime) -> CaseCompliance:
    """Judge a case as it stood at `as_of`: what the history holds after that moment is not looked at."""
    return evaluate(case_facts([e for e in events if e.at <= as_of]), as_of)


def aggregate(cases: list[CaseCompliance], as_of: datetime) -> ComplianceReport:
    totals: dict[str, RuleTotals] = {}
    for case in cases:
        for f in case.findings:
            row = totals.setdefault(f.rule, RuleTotals(rule=f.rule, deadline=f.deadline))
            field = f.status.name.lower()
            setattr(row, field, getattr(row, field) + 1)
    return ComplianceReport(
        as_of=as_of, cases=cases, totals=list(totals.values()), cases_with_breach=sum(1 for c in cases if c.breaches)
    )

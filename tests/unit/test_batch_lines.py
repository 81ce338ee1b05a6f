"""How `nrm batch` reads a line into the act's request model, and `nrm case open --from-csv` a row into a referral:
the commands' option names, their forms of times and durations, and a clear refusal for what cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import ChallengeSubject
from domain.permit_records import PermitGround
from domain.requests import (
    AssessRequest,
    ConsentWithdrawalRequest,
    DepartureRequest,
    ExtendRRRequest,
    JudgmentRequest,
    PermitRequest,
    ProceedingRequest,
    ProvideRequest,
    ReconsiderationRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
    ReviewRequest,
)
from domain.roles import Actor
from starter.batch import Done, Planned, read_act, read_referrals
from starter.errors import BadInput

SP = Actor.parse("support_provider:sp-1")
REF = "NRM-AAAA-BBBB"


def test_the_options_read_as_the_command_reads_them() -> None:
    extend = read_act({"act": "extend-rr", "reference": REF, "by": "30d", "reasons": "r", "request-id": "x"}, SP)
    assert isinstance(extend.request, ExtendRRRequest) and extend.request.extend_by == timedelta(days=30)
    until = read_act({"act": "extend-rr", "reference": REF, "until": "2027-01-02", "request-id": "y"}, SP)
    assert isinstance(until.request, ExtendRRRequest)
    assert until.request.new_end == datetime(2027, 1, 2, tzinfo=UTC)
    given = {"kind": "accommodation", "at": "2026-11-21T10:00", "not-needed": "stays with family"}
    provide = read_act({"act": "provide", "reference": REF, "request-id": "z", **given}, SP)
    assert isinstance(provide.request, ProvideRequest)
    assert provide.request.when == datetime(2026, 11, 21, 10, tzinfo=UTC)  # UTC when no zone is given
    assert provide.request.not_needed_reason == "stays with family" and provide.request.request_id == "z"
    result = {"completed_at": "2026-11-21T10:00Z", "summary": "s", "next_review": "2027-01-21T10:00Z"}
    assess = read_act({"act": "assess", "reference": REF, "kind": "k", "result": result, "request-id": "a"}, SP)
    assert isinstance(assess.request, AssessRequest) and assess.request.result.summary == "s"
    line = {"act": "decide", "stage": "stage2", "reference": REF, "outcome": "positive", "request-id": "b"}
    decided = read_act(line | {"as": "competent_authority:ca-1"}, SP)
    assert (decided.form.method, decided.request.actor.id) == ("decide_stage2", "ca-1")  # the line's "as" wins
    permit = {"action": "grant", "ground": ["cooperation"], "valid-until": "2027-06-01", "document": "RP-1"}
    granted = read_act(
        {"act": "permit", "reference": REF, "request-id": "p", "as": "immigration_authority:ia-1", **permit}, SP
    )
    assert isinstance(granted.request, PermitRequest) and granted.form.method == "permit_decision"
    assert granted.request.grounds == [PermitGround.COOPERATION]
    assert granted.request.valid_until == datetime(2027, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {"act": "sing", "reference": REF, "request-id": "x"},
            "act 'sing' is not one of age-assessment, age-dispute, appeal, assess, close, consent, decide",
        ),
        ({"act": "decide", "reference": REF, "request-id": "x"}, 'a decision needs "stage": "stage1" or "stage2"'),
        ({"act": "consent", "stage": "stage1", "reference": REF, "request-id": "x"}, '"stage" is for a decision'),
        ({"act": "consent", "reference": REF}, 'the line has no "request-id"'),
        ({"act": "consent", "request-id": "x"}, 'the line has no "reference"'),
        ({"act": "consent", "reference": REF, "request-id": "x", "notes": ""}, "consent takes no 'notes'"),
        ({"act": "provide", "reference": REF, "request-id": "x", "kind": "k", "at": 5}, "at: give a date or an ISO"),
        ({"act": "provide", "reference": REF, "request-id": "x", "at": "tuesday"}, "at: 'tuesday' is not a date"),
        ({"act": "provide", "reference": REF, "request-id": "x"}, "invalid provide: kind: Field required"),
        ([1, 2], "a line must be a JSON object"),
    ],
)
def test_a_line_that_cannot_be_used_is_refused_with_why(line: object, message: str) -> None:
    with pytest.raises(BadInput) as refused:
        read_act(line, SP)
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_line_needs_someone_to_act() -> None:
    with pytest.raises(BadInput, match='the line has no "as" and the batch no --as'):
        read_act({"act": "consent", "reference": REF, "request-id": "x"}, None)


def test_csv_rows_become_referrals_and_bad_rows_are_refused_alone() -> None:
    rows = list(
        read_referrals(
            ["sex,consent,exploitation", "female,yes,labour; sexual", "male,perhaps,labour", "female,no,begging,x"],
            Actor.parse("first_responder:fr-1"),
        )
    )
    assert [type(r) for r in rows] == [Planned, Done, Done]
    assert [r.line for r in rows] == [2, 3, 4]
    assert isinstance(rows[1], Done) and str(rows[1].error) == "column consent: 'perhaps' is not true or false"
    assert isinstance(rows[2], Done) and str(rows[2].error) == "the row has more cells than the header"


def test_the_lifecycle_return_and_proceeding_acts_read_as_their_commands_do() -> None:
    co = "coordinator:co-1"

    def line(act: str, **fields: object):  # type: ignore[no-untyped-def]
        return read_act({"act": act, "reference": REF, "request-id": act.replace(" ", "-"), "as": co, **fields}, SP)

    withdrawn = line("withdraw-consent", purpose=["monitoring", "data_sharing"])
    assert isinstance(withdrawn.request, ConsentWithdrawalRequest) and withdrawn.form.method == "withdraw_consent"
    assert [p.value for p in withdrawn.request.purposes] == ["monitoring", "data_sharing"]
    asked = line("return request", **{"decided-on": "2026-12-01", "destination": "RO", "no-monitoring": True})
    assert isinstance(asked.request, ReturnRequest) and asked.request.monitoring is False
    assessed = line("return assess", risk="found", summary="threats to the family", **{"covers-family": True})
    assert isinstance(assessed.request, ReturnAssessmentRequest) and assessed.request.risk_found
    with pytest.raises(BadInput, match='risk: "found" or "none"'):
        line("return assess", risk="maybe")
    planned = line("return plan", departure="2027-01-10T08:00Z", reception="IOM", **{"travel-documents": True})
    assert isinstance(planned.request, ReturnPlanRequest)
    assert planned.request.departure_at == datetime(2027, 1, 10, 8, tzinfo=UTC)
    left = line("return depart", at="2027-01-10T09:00Z")
    assert isinstance(left.request, DepartureRequest)
    assert left.request.departed_at == datetime(2027, 1, 10, 9, tzinfo=UTC)
    claim = line("proceeding", kind="asylum_claim", **{"reference-of": "AS-1"})
    assert isinstance(claim.request, ProceedingRequest) and claim.request.reference == "AS-1"
    assert claim.reference == REF


def test_a_challenge_act_names_what_it_challenges_as_the_command_does() -> None:
    line = {"act": "reconsider", "reference": REF, "request-id": "r", "reasons": "wrong", "of": "age"}
    asked = read_act(line | {"as": "guardian_advocate:ga-1"}, SP)
    assert isinstance(asked.request, ReconsiderationRequest) and asked.request.of is ChallengeSubject.AGE
    review = {"act": "review", "reference": REF, "request-id": "v", "outcome": "overturned", "of": "permit"}
    reviewed = read_act(review | {"as": "review_panel:rp-1"}, SP)
    assert isinstance(reviewed.request, ReviewRequest) and reviewed.request.of is ChallengeSubject.PERMIT
    judged = read_act(
        {"act": "judgment", "reference": REF, "request-id": "j", "outcome": "allowed", "decided-on": "2026-12-01"}, SP
    )
    assert isinstance(judged.request, JudgmentRequest) and judged.request.of is None  # the identification decision
    with pytest.raises(BadInput, match="of"):
        read_act(line | {"of": "stage3"}, SP)

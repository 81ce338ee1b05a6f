"""Every template renders in every shipped language with no missing key (StrictUndefined), for every kind of
obligation, every decision letter variant, assessment requests, delivery failures and the digest."""

from __future__ import annotations

import itertools
import tomllib
from datetime import timedelta
from typing import Any

import pytest
from jinja2 import UndefinedError

from activities.templates import NAMES, TEMPLATE_DIR, languages, render
from domain.case import AgeFinding, ChallengeSubject, JudgmentOutcome, ObligationKind, Outcome, ReviewOutcome
from domain.deadlines import Alert, AlertKind
from domain.kinds import ASSESSMENT_KINDS
from domain.notices import (
    AssessmentNeeded,
    CaseEvent,
    CaseEventKind,
    DecisionKind,
    DecisionLetter,
    DeliveryFailed,
    Digest,
    DigestRow,
    PermitLetter,
    Recipients,
    ReturnEvent,
    ReturnLetter,
    Right,
    rights_after,
)
from domain.permit_records import PermitAction, PermitGround, PermitType
from domain.roles import Role
from tests.unit.builders import T0

REF = "NRM-0000-0001"
LANGUAGES = languages()


def test_english_and_romanian_are_shipped_with_every_template() -> None:
    assert {"en", "ro"} <= set(LANGUAGES)
    for lang, name in itertools.product(LANGUAGES, NAMES):
        assert (TEMPLATE_DIR / lang / f"{name}.txt").is_file(), f"{lang}/{name}.txt"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_labels_every_kind_role_right_and_outcome(lang: str) -> None:
    own = tomllib.loads((TEMPLATE_DIR / lang / "labels.toml").read_text(encoding="utf-8"))
    assert set(own["kinds"]) == {k.value for k in ObligationKind}
    assert set(own["roles"]) == {r.value for r in Role}
    assert set(own["rights_text"]) == {r.value for r in Right}
    assert set(own["outcomes"]) == {o.value for o in Outcome}
    assert set(own["findings"]) == {o.value for o in (*ReviewOutcome, *JudgmentOutcome, *AgeFinding)}


def alerts() -> list[Alert]:
    return [
        Alert(
            key=f"{REF}/{kind.value}/v0/{alert.value}",
            kind=alert,
            reference=REF,
            obligation_id=kind.value,
            obligation_kind=kind,
            recipients=[Role.COORDINATOR, Role.SUPPORT_PROVIDER],
            due_at=T0,
        )
        for kind, alert in itertools.product(ObligationKind, AlertKind)
    ]


def letters() -> list[DecisionLetter]:
    out = []
    for stage, outcome, to_guardian, by_hand in itertools.product((1, 2), Outcome, (False, True), (False, True)):
        recipients = (
            Recipients(roles=[Role.GUARDIAN_ADVOCATE if to_guardian else Role.SUPPORT_PROVIDER])
            if by_hand
            else Recipients(addresses=["someone@example.org"])
        )
        out.append(
            DecisionLetter(
                key=f"{REF}/letter/1",
                reference=REF,
                recipients=recipients,
                language="en",
                to_guardian=to_guardian,
                by_hand=by_hand,
                stage=stage,
                outcome=outcome,
                decided_at=T0,
                reasons="the reasons given",
                rights=rights_after(outcome, stage),
                rr_end=T0 + timedelta(days=90) if stage == 1 else None,
                rights_until=T0 + timedelta(days=30) if outcome is Outcome.NEGATIVE else None,
            )
        )
    findings = [(DecisionKind.REVIEW, f, Role.REVIEW_PANEL) for f in ReviewOutcome] + [
        (DecisionKind.JUDGMENT, f, who)
        for f in JudgmentOutcome
        for who in (Role.COORDINATOR, Role.LEGAL_REPRESENTATIVE)
    ]
    positive = {ReviewOutcome.OVERTURNED, JudgmentOutcome.ALLOWED}
    for (kind, finding, who), stage, to_guardian in itertools.product(findings, (1, 2), (False, True)):
        outcome = Outcome.POSITIVE if finding in positive else Outcome.NEGATIVE
        out.append(
            DecisionLetter(
                key=f"{REF}/letter/2",
                reference=REF,
                recipients=Recipients(addresses=["someone@example.org"]),
                language="en",
                to_guardian=to_guardian,
                by_hand=False,
                stage=stage,
                outcome=outcome,
                decided_at=T0,
                reasons="the panel's reasons" if kind is DecisionKind.REVIEW else "",
                rights=[Right.APPEAL, Right.LEGAL_ADVICE] if outcome is Outcome.NEGATIVE else [Right.LEGAL_ADVICE],
                rr_end=T0 + timedelta(days=90) if stage == 1 and outcome is Outcome.POSITIVE else None,
                decision=kind,
                decided_by=who,
                finding=finding.value,
                court="Tribunalul X" if kind is DecisionKind.JUDGMENT else "",
                judgment_ref="J-1/2026" if kind is DecisionKind.JUDGMENT else "",
                rights_until=T0 + timedelta(days=30) if finding is ReviewOutcome.UPHELD else None,
                redecision_due=T0 + timedelta(days=5) if finding is JudgmentOutcome.REMITTED else None,
            )
        )
    return out + challenge_letters()


def challenge_letters() -> list[DecisionLetter]:
    """An age assessment's result, and every review and judgment of an adult finding or a permit refusal: with a
    window open (not final yet) and without one (final)."""
    out = [
        DecisionLetter(
            key=f"{REF}/letter/3",
            reference=REF,
            recipients=Recipients(roles=[Role.GUARDIAN_ADVOCATE]),
            language="en",
            to_guardian=True,
            by_hand=True,
            stage=0,
            outcome=Outcome.NEGATIVE if finding is AgeFinding.ADULT else Outcome.POSITIVE,
            decided_at=T0,
            reasons="the assessor's reasons",
            rights=rights_after(Outcome.NEGATIVE if finding is AgeFinding.ADULT else Outcome.POSITIVE, 0),
            decision=DecisionKind.AGE_ASSESSMENT,
            decided_by=Role.CHILD_PROTECTION,
            finding=finding.value,
            rights_until=T0 + timedelta(days=30) if finding is AgeFinding.ADULT else None,
            challenged=ChallengeSubject.AGE,
        )
        for finding in AgeFinding
    ]
    positive = {ReviewOutcome.OVERTURNED, JudgmentOutcome.ALLOWED}
    for subject, finding, window in itertools.product(
        (ChallengeSubject.AGE, ChallengeSubject.PERMIT), (*ReviewOutcome, *JudgmentOutcome), (False, True)
    ):
        outcome = Outcome.POSITIVE if finding in positive else Outcome.NEGATIVE
        judgment = isinstance(finding, JudgmentOutcome)
        out.append(
            DecisionLetter(
                key=f"{REF}/letter/4",
                reference=REF,
                recipients=Recipients(addresses=["someone@example.org"]),
                language="en",
                to_guardian=subject is ChallengeSubject.AGE,
                by_hand=False,
                stage=0,
                outcome=outcome,
                decided_at=T0,
                reasons="the reasons given",
                rights=[Right.APPEAL, Right.LEGAL_ADVICE] if window else [Right.LEGAL_ADVICE],
                decision=DecisionKind.JUDGMENT if judgment else DecisionKind.REVIEW,
                decided_by=Role.COORDINATOR if judgment else Role.REVIEW_PANEL,
                finding=finding.value,
                court="Tribunalul X" if judgment else "",
                judgment_ref="J-2/2026" if judgment else "",
                rights_until=T0 + timedelta(days=30) if window else None,
                redecision_due=T0 + timedelta(days=7) if outcome is Outcome.POSITIVE or finding == "remitted" else None,
                challenged=subject,
            )
        )
    return out


def test_an_adult_age_finding_is_not_final_and_says_how_to_challenge_it() -> None:
    [adult] = [n for n in challenge_letters() if n.decision is DecisionKind.AGE_ASSESSMENT and n.finding == "adult"]
    text = render("decision_letter", "en", adult.model_dump(mode="json"))
    assert "age assessment (an adult)" in text.subject
    assert "the child was assessed as an adult" in text.body and "not final yet" in text.body
    assert "still treated as a child" in text.body and "reconsidered" in text.body
    assert "This is possible until 2026-04-01" in text.body
    text = render("decision_letter", "ro", adult.model_dump(mode="json"))
    assert "nu este încă definitivă" in text.body and "Este posibil până la" in text.body


def test_review_and_judgment_letters_of_an_age_finding_or_a_permit_refusal_say_what_follows() -> None:
    by = {(n.challenged, n.finding, n.rights_until is not None): n for n in challenge_letters() if n.stage == 0}
    final = render("decision_letter", "en", by[ChallengeSubject.AGE, "upheld", False].model_dump(mode="json"))
    assert "reconsideration of the age assessment (upheld)" in final.subject
    assert "the rules for adults apply from now" in final.body
    overturned = render(
        "decision_letter", "en", by[ChallengeSubject.PERMIT, "overturned", False].model_dump(mode="json")
    )
    assert "the refusal of the permit" in overturned.body and "must grant the permit by 2026-03-09" in overturned.body
    remitted = render("decision_letter", "en", by[ChallengeSubject.AGE, "remitted", False].model_dump(mode="json"))
    assert "(sent back to be decided again)" in remitted.subject and "The age is assessed again by" in remitted.body
    refused = next(n for n in permit_letters() if n.action is PermitAction.REFUSE and not n.renewal)
    text = render("permit_letter", "en", refused.model_dump(mode="json"))
    assert "reconsidered" in text.body and "This is possible until 2026-04-01" in text.body


def notices() -> list[Any]:
    requests = [
        AssessmentNeeded(
            key=f"{REF}/{k.value}#{n}/v0/assessment-request",
            reference=REF,
            recipients=Recipients(roles=[Role.CHILD_PROTECTION]),
            kind=k,
            obligation_id=f"{k.value}#{n}",
            review=n,
            due_at=T0,
            is_child=child,
        )
        for k, n, child in itertools.product(sorted(ASSESSMENT_KINDS), (1, 2), (False, True))
    ]
    failure = DeliveryFailed(
        key=f"{REF}/delivery-failure/1",
        reference=REF,
        recipients=Recipients(roles=[Role.COORDINATOR]),
        failed_key=f"{REF}/letter/1",
        what="decision_letter",
        reason="SMTP server refused every recipient for good (550)",
    )
    rows = [
        DigestRow(reference=REF, kind="urgent_healthcare", due_at=T0, overdue=True, is_child=True),
        DigestRow(reference=REF, kind="deadline", due_at=T0, overdue=False),
    ]
    digests = [
        Digest(
            key="digest/x",
            recipients=Recipients(roles=[Role.COORDINATOR]),
            as_of=T0,
            window_hours=48,
            rows=r,
            cases_due=due,
            cases_overdue=over,
        )
        for r, due, over in ((rows, 1, 1), ([], 0, 0), (rows, 2400, 1900))  # all listed, none, a surge cut short
    ]
    events = [
        CaseEvent(
            key=f"{REF}/missing-1/{event.value}",
            reference=REF,
            recipients=Recipients(roles=[Role.COORDINATOR]),
            event=event,
            at=T0,
            is_child=child,
        )
        for event, child in itertools.product(CaseEventKind, [False, True])
    ]
    return [*letters(), *permit_letters(), *return_letters(), *requests, failure, *events, *digests]


def return_letters() -> list[ReturnLetter]:
    """Each event of a voluntary return, to the person or a guardian, by post or by hand."""
    return [
        ReturnLetter(
            key=f"{REF}/return-1/{event.value}-0",
            reference=REF,
            recipients=Recipients(roles=[Role.SUPPORT_PROVIDER])
            if by_hand
            else Recipients(addresses=["p@example.org"]),
            language="en",
            to_guardian=to_guardian,
            by_hand=by_hand,
            event=event,
            decided_at=T0,
            departure_at=T0 + timedelta(days=10) if event in (ReturnEvent.PLANNED, ReturnEvent.STOPPED) else None,
            route="by air" if event is ReturnEvent.PLANNED else "",
            reception="IOM office at arrival" if event is ReturnEvent.PLANNED else "",
            reasons=["no travel documents yet"] if event is ReturnEvent.STOPPED else [],
        )
        for event, to_guardian, by_hand in itertools.product(ReturnEvent, (False, True), (False, True))
    ]


def test_a_stopped_return_says_why_and_that_the_decision_stays_the_persons() -> None:
    stopped = next(n for n in return_letters() if n.event is ReturnEvent.STOPPED and not n.to_guardian)
    text = render("return_letter", "en", stopped.model_dump(mode="json"))
    assert "stopped" in text.subject and "- no travel documents yet" in text.body
    assert "it can be changed at any time before departure" in text.body


def permit_letters() -> list[PermitLetter]:
    """Every permit decision: granted, renewed or refused, interim or residence, to the person or a guardian."""
    return [
        PermitLetter(
            key=f"{REF}/letter/4-permit_decision",
            reference=REF,
            recipients=Recipients(roles=[Role.SUPPORT_PROVIDER])
            if by_hand
            else Recipients(addresses=["p@example.org"]),
            language="en",
            to_guardian=to_guardian,
            by_hand=by_hand,
            action=action,
            permit=kind,
            renewal=renewal,
            grounds=[]
            if action is PermitAction.REFUSE
            else [PermitGround.PERSONAL_SITUATION, PermitGround.COOPERATION],
            valid_from=None if action is PermitAction.REFUSE and not renewal else T0,
            valid_until=None if action is PermitAction.REFUSE and not renewal else T0 + timedelta(days=365),
            decided_at=T0,
            reasons="the authority's reasons" if action is PermitAction.REFUSE else "",
            rights_until=T0 + timedelta(days=30) if action is PermitAction.REFUSE else None,
        )
        for action, kind, to_guardian, by_hand in itertools.product(
            PermitAction, PermitType, (False, True), (False, True)
        )
        for renewal in ((True,) if action is PermitAction.RENEW else (False, True))
    ]


def test_a_permit_letter_says_what_was_decided_until_when_and_why() -> None:
    granted = next(n for n in permit_letters() if n.action is PermitAction.GRANT and n.permit is PermitType.INTERIM)
    text = render("permit_letter", "en", granted.model_dump(mode="json"))
    assert "granted" in text.subject and "interim permit" in text.subject
    assert "your personal situation and your cooperation with the authorities" in text.body
    assert "while the conclusive (Stage 2) decision is still awaited" in text.body
    refused = next(n for n in permit_letters() if n.action is PermitAction.REFUSE and n.renewal and n.to_guardian)
    text = render("permit_letter", "ro", refused.model_dump(mode="json"))
    assert "the authority's reasons" in text.body and "Puteți contesta această decizie" in text.body
    assert "rămâne valabil" in text.body


def cases() -> list[tuple[str, dict[str, Any]]]:
    return [(a.kind.value, a.model_dump(mode="json")) for a in alerts()] + [
        (n.template, n.model_dump(mode="json")) for n in notices()
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_renders_every_variant(lang: str) -> None:
    seen = set()
    for name, context in cases():
        rendered = render(name, lang, context)
        assert rendered.language == lang
        assert rendered.subject and "\n" not in rendered.subject
        assert "{{" not in rendered.body and "{%" not in rendered.body
        if context.get("reference"):
            assert REF in rendered.subject + rendered.body
        seen.add(name)
    assert seen == set(NAMES)


def test_a_letter_carries_the_reasons_and_each_right_in_the_language() -> None:
    negative = next(n for n in letters() if n.outcome is Outcome.NEGATIVE and not n.by_hand and n.to_guardian)
    body = render("decision_letter", "ro", negative.model_dump(mode="json")).body
    assert "the reasons given" in body and "tutorele copilului" in body
    assert "reexaminată" in body and "instanță" in body and "consiliere juridică" in body


def test_review_and_judgment_letters_name_who_decided_and_what_follows() -> None:
    by_finding = {(n.decision, n.finding, n.stage, n.decided_by): n for n in letters() if not n.to_guardian}
    upheld = by_finding[DecisionKind.REVIEW, "upheld", 2, Role.REVIEW_PANEL]
    text = render("decision_letter", "en", upheld.model_dump(mode="json"))
    assert "reconsideration of Stage 2 (upheld)" in text.subject
    assert "the review panel reconsidered the negative Stage 2 decision" in text.body
    assert "appeal against this decision" in text.body and "This is possible until 2026-04-01" in text.body
    remitted = by_finding[DecisionKind.JUDGMENT, "remitted", 1, Role.LEGAL_REPRESENTATIVE]
    text = render("decision_letter", "ro", remitted.model_dump(mode="json"))
    assert "reprezentantul legal a înregistrat hotărârea instanței Tribunalul X (referința J-1/2026)" in text.body
    assert "decide din nou etapa 1 până la 2026-03-07" in text.body
    allowed = by_finding[DecisionKind.JUDGMENT, "allowed", 1, Role.COORDINATOR]
    text = render("decision_letter", "en", allowed.model_dump(mode="json"))
    assert "the appeal is allowed" in text.body and "presumed victim" in text.body


def test_an_unshipped_language_falls_back_to_english_and_a_regional_one_to_its_base() -> None:
    name, context = cases()[0]
    assert render(name, "xx", context).language == "en"
    assert render(name, "ro-MD", context).language == "ro"


def test_a_missing_key_is_an_error_not_a_blank() -> None:
    name, context = cases()[0]
    del context["due_at"]
    with pytest.raises(UndefinedError):
        render(name, "en", context)


def test_a_missing_child_is_urgent_in_every_language() -> None:
    child = next(n for n in notices() if isinstance(n, CaseEvent) and n.is_child and n.event is CaseEventKind.MISSING)
    assert render("case_event", "en", child.model_dump(mode="json")).subject.startswith("URGENT: a child in case")
    assert "protecția copilului" in render("case_event", "ro", child.model_dump(mode="json")).body


def test_a_digest_after_a_surge_counts_every_case_and_lists_the_soonest() -> None:
    surge = next(n for n in notices() if getattr(n, "template", "") == "digest" and n.cases_due == 2400)
    text = render("digest", "en", surge.model_dump(mode="json"))
    assert text.subject.endswith("1900 case(s) overdue, 2400 with obligations due within 48 h")
    assert "The 2 obligations due soonest are listed; every case: nrm cases list --due-within 48h --all" in text.body
    calm = next(n for n in notices() if getattr(n, "template", "") == "digest" and n.cases_due == 1)
    assert "are listed" not in render("digest", "en", calm.model_dump(mode="json")).body

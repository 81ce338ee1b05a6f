"""What the fuzzer sends: hypothesis draws an act, a path (the client library or raw through the Temporal
client), a way of signing and up to two mutations; `materialize` applies them to a valid act for the case as it
stands. The oracle is simple and conservative: an act must be refused if a mutation it carries breaks a rule
outright (a role the act's table does not allow, a text over TEXT_LIMIT, a date before 1900 or after 2200, a
naive datetime, an unknown obligation kind, a wrong type, a missing field, a payload that is not an object, empty
reasons), if it is not signed validly, or if the case is not at the stage the act needs. Anything else may be
accepted or refused; only the first kind is judged."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench.drive import bench_actor
from domain.kinds import ObligationKind
from domain.roles import Act, Role, allowed_roles

TEXT_LIMIT = 100_000  # characters: no rule names a limit today; any sensible one is below this
NEGATIVE = ("stage1_negative", "stage2_negative")
# the stages an act needs (outside them it must be refused); the challenge acts need a negative decision
NEEDS_STAGE: dict[str, tuple[str, ...]] = {
    "record_consent": ("outside_nrm",),
    "stage1_decision": ("stage1_pending",),
    "stage2_decision": ("presumed_victim",),
    "extend_rr": ("presumed_victim",),
    "request_reconsideration": NEGATIVE,
    "record_review": NEGATIVE,
    "lodge_appeal": NEGATIVE,
    "record_judgment": NEGATIVE,
    "permit_decision": ("presumed_victim", "confirmed_victim"),  # a permit is owed only from these
}
TEXT_FIELDS = {
    "record_consent": ["note"],
    "stage1_decision": ["reasons", "evidence"],
    "stage2_decision": ["reasons", "evidence"],
    "extend_rr": ["reasons"],
    "provide": ["evidence"],
    "record_assessment": ["result.summary"],
    "request_reconsideration": ["reasons", "evidence"],
    "record_review": ["reasons", "evidence"],
    "lodge_appeal": ["reasons", "court"],
    "record_judgment": ["court", "judgment_ref", "reasons"],
    "permit_decision": ["reasons", "document"],
}
UPDATES = list(TEXT_FIELDS)  # the acts the fuzzer knows how to build
DATE_FIELDS = {
    "extend_rr": ["new_end"],
    "provide": ["when"],
    "record_assessment": ["result.completed_at", "result.next_review"],
    "permit_decision": ["valid_until", "valid_from"],
}
REQUIRED = {
    "record_consent": ["actor"],
    "stage1_decision": ["actor", "outcome"],
    "stage2_decision": ["actor", "outcome"],
    "extend_rr": ["actor"],
    "provide": ["actor", "kind"],
    "record_assessment": ["actor", "kind", "result"],
    "request_reconsideration": ["actor"],
    "record_review": ["actor", "outcome"],
    "lodge_appeal": ["actor"],
    "record_judgment": ["actor", "outcome", "decided_on"],
    "permit_decision": ["actor", "action"],
}
ENUM_FIELDS = ("outcome", "kind", "action")  # a wrong type there is refused as such
SIGNINGS = ["valid"] * 8 + ["unsigned", "forged", "other_actor", "stale", "tampered"]
KINDS = {k.value for k in ObligationKind}

_values = {
    "wrong_role": st.sampled_from([r.value for r in Role]),
    "unknown_kind": st.text(min_size=1, max_size=40),
    "huge_text": st.sampled_from([TEXT_LIMIT + 1, 300_000, 1_000_000, 2_500_000]),
    "control_chars": st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=20),
    "absurd_date": st.sampled_from(
        [
            "0001-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59+00:00",
            "1066-10-14T09:00:00+00:00",
            "2999-01-01T00:00:00-12:00",
        ]
    ),
    "naive_date": st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(datetime.isoformat),
    "wrong_type": st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
        st.booleans(),
        st.none(),
    ),
    "missing_field": st.integers(0, 9),
    "not_a_dict": st.one_of(st.integers(), st.text(max_size=50), st.lists(st.integers(), max_size=3), st.none()),
    "empty_reasons": st.sampled_from(["", "   ", "\n\t"]),
    "arbitrary_text": st.text(max_size=200),
}
# each name's weight: a huge text (MBs) in about one act in 60, the other mutations alike
_NAMES = [name for name in _values for _ in range(1 if name == "huge_text" else 4)]
MUTATION = st.sampled_from(_NAMES).flatmap(lambda name: st.tuples(st.just(name), _values[name]))


@dataclass
class Draw:
    act: str
    path: str  # client or raw
    signing: str
    mutations: list[tuple[str, Any]]
    positive: bool


DRAW = st.builds(
    Draw,
    act=st.sampled_from(UPDATES),
    path=st.sampled_from(["client", "raw"]),
    signing=st.sampled_from(SIGNINGS),
    mutations=st.lists(MUTATION, max_size=2),
    positive=st.sampled_from([True, True, True, False]),
)


def draws(count: int, seed_value: int) -> list[Draw]:
    """`count` draws from hypothesis, reproducible by seed (no example database, no shrinking)."""
    found: list[Draw] = []

    @seed(seed_value)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(DRAW)
    def collect(draw: Draw) -> None:
        found.append(draw)

    while len(found) < count:
        collect()
        seed_value += 1
    return found[:count]


@dataclass
class Case:
    """What a lane knows of its case: the stage and open obligations its accepted acts reported."""

    reference: str
    stage: str
    open: list[tuple[str, str]] = field(default_factory=list)  # (kind, owner role)


@dataclass
class Attempt:
    act: str
    path: str
    signing: str
    payload: Any
    actor: Any  # the Actor that signs (Actor model)
    must_refuse: list[str]  # why, by the oracle; empty: not judged


def _base(draw: Draw, case: Case, now: datetime) -> tuple[dict[str, Any], Role]:
    def owned(assessment: bool) -> tuple[str, Role]:
        for kind, owner in case.open:
            k = ObligationKind(kind)
            if not k.is_decision and k.is_assessment == assessment:
                return kind, Role(owner)
        return ("needs_risks_assessment" if assessment else "urgent_healthcare"), Role.SUPPORT_PROVIDER

    outcome = "positive" if draw.positive else "negative"
    match draw.act:
        case "record_consent":
            return {"note": "faults: fuzz"}, Role.FIRST_RESPONDER
        case "stage1_decision" | "stage2_decision":
            return {"outcome": outcome, "reasons": "faults: fuzz", "evidence": "fuzz"}, Role.COMPETENT_AUTHORITY
        case "extend_rr":
            return {"reasons": "faults: fuzz", "extend_by": 86400.0}, Role.COMPETENT_AUTHORITY
        case "provide":
            kind, owner = owned(False)
            return {"kind": kind, "evidence": "faults: fuzz"}, owner
        case "request_reconsideration":
            return {"reasons": "faults: fuzz", "evidence": "fuzz"}, Role.SUPPORT_PROVIDER
        case "record_review":
            return {
                "outcome": "upheld" if draw.positive else "overturned",
                "reasons": "faults: fuzz",
            }, Role.REVIEW_PANEL
        case "lodge_appeal":
            return {"reasons": "faults: fuzz", "court": "fuzz court"}, Role.LEGAL_REPRESENTATIVE
        case "record_judgment":
            return {
                "outcome": "dismissed" if draw.positive else "allowed",
                "court": "fuzz court",
                "judgment_ref": "J-fuzz",
                "decided_on": now.date().isoformat(),
                "reasons": "faults: fuzz",
            }, Role.LEGAL_REPRESENTATIVE
        case "permit_decision":
            return {
                "action": "grant",
                "grounds": ["cooperation"],
                "valid_until": (now + timedelta(days=365)).isoformat(),
                "reasons": "faults: fuzz",
            }, Role.IMMIGRATION_AUTHORITY
        case _:
            kind, owner = owned(True)
            return {
                "kind": kind,
                "result": {
                    "completed_at": (now - timedelta(seconds=5)).isoformat(),
                    "summary": "faults: fuzz",
                    "next_review": (now + timedelta(days=30)).isoformat(),
                },
            }, owner


def _set(payload: dict[str, Any], path: str, value: Any) -> bool:
    """Set a field, `result.summary` inside the assessment result (if the result is still there); False if not."""
    parent, _, name = path.rpartition(".")
    target = payload.get(parent) if parent else payload
    if isinstance(target, dict):
        target[name] = value
        return True
    return False


def materialize(draw: Draw, case: Case, stage1_delegated: bool, now: datetime) -> Attempt:
    """Apply the draw's mutations in order. A field's reason to refuse is the one its last mutation gave: a later
    mutation of the same field replaces the earlier one, and its reason with it."""
    payload, role = _base(draw, case, now)
    why: list[str] = []
    by_field: dict[str, str | None] = {}  # the field's current reason to refuse (None: its value breaks no rule)
    texts, dates = TEXT_FIELDS[draw.act], DATE_FIELDS.get(draw.act, [])

    def put(path: str, value: Any, reason: str | None) -> None:
        if _set(payload, path, value):
            by_field[path] = reason
        if reason is not None and path.startswith("result.") and "result" not in payload:
            by_field.setdefault("result", "missing result")

    for i, (name, value) in enumerate(draw.mutations):
        pick = i % max(len(texts), 1)
        if name == "wrong_role":
            role = Role(value)
        elif name == "unknown_kind" and draw.act in ("provide", "record_assessment") and value not in KINDS:
            put("kind", value, "unknown obligation kind")
        elif name == "huge_text":
            put(texts[pick], "faults " + "x" * value, f"text over {TEXT_LIMIT} characters")
        elif name in ("control_chars", "arbitrary_text"):
            put(texts[pick], ("faults " if name == "control_chars" else "") + value, None)
        elif name in ("absurd_date", "naive_date") and dates:
            target = dates[i % len(dates)]
            if target == "new_end":
                payload.pop("extend_by", None)
                by_field.pop("extend_by", None)
            put(target, value, "date out of range" if name == "absurd_date" else "naive datetime")
        elif name == "wrong_type":
            fields = texts + [f for f in ENUM_FIELDS if f in payload]
            put(fields[i % len(fields)], value, "wrong type")
        elif name == "missing_field":
            field_name = REQUIRED[draw.act][value % len(REQUIRED[draw.act])]
            if field_name != "actor" and field_name in payload:
                payload.pop(field_name)
                for path in [p for p in by_field if p == field_name or p.startswith(field_name + ".")]:
                    del by_field[path]
                by_field[field_name] = f"missing {field_name}"
        elif name == "empty_reasons" and "reasons" in payload:
            put("reasons", value, "empty reasons" if draw.act in _REASONS_REQUIRED else None)
    why += [reason for reason in by_field.values() if reason is not None]
    if role not in allowed_roles(Act(draw.act), stage1_delegated=stage1_delegated):
        why.append("role not allowed")
    actor = bench_actor(role)
    missing_actor = any(
        n == "missing_field" and REQUIRED[draw.act][v % len(REQUIRED[draw.act])] == "actor" for n, v in draw.mutations
    )
    if not missing_actor:
        payload = {"actor": actor.model_dump(mode="json"), **payload}
    else:
        why.append("missing actor")
    if any(n == "not_a_dict" for n, _ in draw.mutations):
        payload = next(v for n, v in draw.mutations if n == "not_a_dict")
        why.append("not an object")
    signing = "valid" if draw.path == "client" else draw.signing
    if signing != "valid":
        why.append(f"signature: {signing}")
    needed = NEEDS_STAGE.get(draw.act)
    if needed is not None and case.stage not in needed:
        why.append("wrong stage")
    return Attempt(draw.act, draw.path, signing, payload, actor, why)


# the acts whose reasons are required whatever else holds (a grant of a permit may come without reasons)
_REASONS_REQUIRED = {
    "stage1_decision",
    "stage2_decision",
    "extend_rr",
    "request_reconsideration",
    "record_review",
    "lodge_appeal",
}

"""Jurisdiction policies: the durations and delegations of DOMAIN.md section 2 and 7, as validated data.

A case carries the whole policy it started under (name, version and the SHA-256 of the file), so a later edit
of the file never changes a running case and an audit replays the rules that applied.
"""

from __future__ import annotations

import enum
import hashlib
import tomllib
from datetime import date, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.errors import PolicyError
from domain.kinds import ASSESSMENT_KINDS, ObligationKind
from domain.permit_records import PermitGround
from domain.roles import Role
from domain.times import aged, check_age


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be a positive duration")
    return value


class Stage1Rules(_Section):
    delegated_to_first_responders: bool
    due_adult: timedelta
    due_child: timedelta

    _check = field_validator("due_adult", "due_child")(_positive)

    @model_validator(mode="after")
    def _child_not_slower(self) -> Stage1Rules:
        if self.due_child > self.due_adult:
            raise ValueError("due_child must not be longer than due_adult (children are identified faster)")
        return self


class Stage2Rules(_Section):
    """`negative_before_rr_end`: whether a negative conclusive decision may come before the R&R period ends (it cuts
    the person's recovery short; the handbook has it correspond with the end, L6770-6774). A positive one may come
    earlier, and the R&R period still runs to its end. `due_after`: a limit of Stage 2's own after a positive Stage 1,
    where the R&R period is shorter than the time a conclusive decision takes (the CoE minimum's 30 days); without
    it Stage 2 is due at the end of the R&R period and an extension of the period moves it."""

    negative_before_rr_end: bool = False
    due_after: timedelta | None = None

    @field_validator("due_after")
    @classmethod
    def _due_positive(cls, value: timedelta | None) -> timedelta | None:
        return value if value is None else _positive(value)


class RecoveryReflectionRules(_Section):
    period: timedelta
    auto_extension_step: timedelta
    max_extension: timedelta = timedelta(days=365)  # the longest one act may extend the period by

    _check = field_validator("period", "auto_extension_step", "max_extension")(_positive)


class ReminderRules(_Section):
    """Reminders at fractions of each obligation's window (0.5 = half-way from its start to its due time)."""

    at_fractions: tuple[float, ...] = Field(min_length=0)

    @field_validator("at_fractions")
    @classmethod
    def _fractions_in_order(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < f < 1 for f in value):
            raise ValueError("each fraction must be strictly between 0 and 1")
        if list(value) != sorted(set(value)):
            raise ValueError("fractions must be strictly increasing")
        return value


class EscalationRules(_Section):
    to_role: Role


class ProvisionCondition(str, enum.Enum):
    UNACCOMPANIED = "unaccompanied"  # owed only to a child who is unaccompanied or separated
    # owed to every child without a positive finding that the family gives safe and appropriate care (L6468-6469):
    # an unaccompanied child, and a child whose family may be the exploiter
    WITHOUT_SAFE_FAMILY_CARE = "without_safe_family_care"


class ProvisionItem(_Section):
    """One duty owed after a positive Stage 1: what, who owes it, whether "not needed" may be recorded."""

    kind: ObligationKind
    owner: Role
    waivable: bool = False  # "not needed" may be recorded, with a reason
    only_if: ProvisionCondition | None = None
    due: timedelta | None = None  # overrides the list's due time for this item

    @field_validator("kind")
    @classmethod
    def _not_a_decision(cls, value: ObligationKind) -> ObligationKind:
        if value.is_decision:
            raise ValueError(f"{value.value} is a decision, not a provision")
        if value.recorded_by:
            raise ValueError(f"{value.value} is recorded by `{value.recorded_by}`, not a provision")
        return value

    @field_validator("owner")
    @classmethod
    def _owner_can_act(cls, value: Role) -> Role:
        if value is Role.AUDITOR:
            raise ValueError("an auditor never owes a provision")
        return value

    @field_validator("due")
    @classmethod
    def _due_positive(cls, value: timedelta | None) -> timedelta | None:
        return value if value is None else _positive(value)


def _unique_kinds(items: tuple[ProvisionItem, ...]) -> tuple[ProvisionItem, ...]:
    kinds = [i.kind for i in items]
    if dupes := sorted({k.value for k in kinds if kinds.count(k) > 1}):
        raise ValueError(f"listed twice: {', '.join(dupes)}")
    return items


class ProvisionRules(_Section):
    """Immediate provisions (DOMAIN.md section 3): one list for adults, one for children, each with a due time."""

    due_adult: timedelta = timedelta(hours=48)
    due_child: timedelta = timedelta(hours=24)
    adult: tuple[ProvisionItem, ...] = ()
    child: tuple[ProvisionItem, ...] = ()

    _check = field_validator("due_adult", "due_child")(_positive)
    _unique = field_validator("adult", "child")(_unique_kinds)

    @field_validator("adult")
    @classmethod
    def _no_child_conditions(cls, items: tuple[ProvisionItem, ...]) -> tuple[ProvisionItem, ...]:
        if any(i.only_if is not None for i in items):
            raise ValueError("only_if applies to the child list only")
        return items


class ChildRules(_Section):
    """What every child case owes from the moment the child enters the NRM (a referral, or an age dispute later),
    not only after a positive Stage 1: `from_entry` (a guardian advocate, a best-interests assessment, a legal
    guardian, a Golden Day supervision plan), each due within `due` of entry unless the item says otherwise.
    `golden_day` is the period of intensive supervision from entry (at least 72 hours, L14604-14611)."""

    due: timedelta = timedelta(hours=24)
    golden_day: timedelta = timedelta(hours=72)
    from_entry: tuple[ProvisionItem, ...] = ()

    _check = field_validator("due", "golden_day")(_positive)
    _unique = field_validator("from_entry")(_unique_kinds)


class AgeRules(_Section):
    """Age (DOMAIN.md section 5). An age dispute: the age assessment is owed by `assessment_owner` within
    `assessment_due` of the dispute; after a final adult finding the guardian advocate hands over to an
    independent advocate within `handover_due`. Coming of age by the date of birth (domain.majority): at the age
    of `majority` the person is an adult for new obligations; a transition plan is owed by
    `transition_plan_owner` from `transition_plan_before` that day until it; child-level support continues to the
    age of `child_support_until` (some jurisdictions to 21 or 25), when the handover is owed. Ages are ISO 8601
    durations on the calendar (`P18Y`); with `counted_by_month` each is counted from the first day of the month
    after it is reached, so the server's timers show no birth date to the day."""

    assessment_owner: Role = Role.CHILD_PROTECTION
    assessment_due: timedelta = timedelta(days=30)
    handover_due: timedelta = timedelta(days=5)
    majority: str = "P18Y"
    child_support_until: str = "P18Y"
    transition_plan_before: timedelta = timedelta(days=90)
    transition_plan_owner: Role = Role.CHILD_PROTECTION
    counted_by_month: bool = True

    _check = field_validator("assessment_due", "handover_due", "transition_plan_before")(_positive)
    _ages = field_validator("majority", "child_support_until")(check_age)

    @model_validator(mode="after")
    def _sane_ages(self) -> AgeRules:
        born = date(2000, 1, 1)
        majority, support = (aged(born, a, to_month=False) for a in (self.majority, self.child_support_until))
        if not aged(born, "P14Y", to_month=False) <= majority <= aged(born, "P21Y", to_month=False):
            raise ValueError("majority must be an age from 14 to 21 years")
        if support < majority:
            raise ValueError("child_support_until must not be younger than majority (support never stops early)")
        if support > aged(born, "P26Y", to_month=False):
            raise ValueError("child_support_until must be an age of at most 26 years")
        return self


class MissingRules(_Section):
    """A person reported missing (domain.lifecycle): an adult's case is suspended, never closed, once missing for
    `adult_suspended_after`; a child's is never suspended (a missing child is escalated at once instead)."""

    adult_suspended_after: timedelta = timedelta(days=30)

    _check = field_validator("adult_suspended_after")(_positive)


class AssessmentRules(_Section):
    """An assessment kind and the longest it may go unreviewed (an adult's needs and risks: at least quarterly)."""

    kind: ObligationKind
    max_review_interval: timedelta

    _check = field_validator("max_review_interval")(_positive)

    @field_validator("kind")
    @classmethod
    def _an_assessment(cls, value: ObligationKind) -> ObligationKind:
        if not value.is_assessment:
            known = ", ".join(sorted(k.value for k in ASSESSMENT_KINDS))
            raise ValueError(f"{value.value} is not an assessment; assessments are: {known}")
        return value


_CHALLENGERS = (Role.SUPPORT_PROVIDER, Role.FIRST_RESPONDER, Role.COORDINATOR, Role.LEGAL_REPRESENTATIVE)


class AppealRules(_Section):
    """The rights after a negative Stage 1 or Stage 2 decision (DOMAIN.md section 4): a window to request
    reconsideration by the review panel, which decides within `review_due`; after an upheld decision a window to
    lodge a judicial appeal (none when `appeal_window` is absent: the upheld decision is final). A final negative
    owes a vulnerability assessment and an onward referral within `final_support_due`. Every window is an
    obligation of the person's advocate (`window_owner_adult` / `window_owner_child`)."""

    reconsideration_window: timedelta = timedelta(days=30)
    late_on_new_evidence: bool = True  # a request after the window, on new evidence, is accepted (recorded late)
    review_due: timedelta = timedelta(days=30)
    appeal_window: timedelta | None = timedelta(days=30)
    appeal_directly: bool = False  # an appeal may be lodged without reconsideration, within its window
    appeal_levels: int = Field(default=1, ge=0, le=3)
    stage2_redecision_due: timedelta = timedelta(days=30)  # a remitted Stage 2 is decided again within this
    final_support_due: timedelta = timedelta(days=5)
    challenged_by: tuple[Role, ...] = _CHALLENGERS  # who may request reconsideration and lodge an appeal
    challenged_by_child: tuple[Role, ...] = (*_CHALLENGERS, Role.GUARDIAN_ADVOCATE)
    window_owner_adult: Role = Role.SUPPORT_PROVIDER  # the adult's independent advocate
    window_owner_child: Role = Role.GUARDIAN_ADVOCATE
    # stages whose negative decision the review panel confirms before it is issued (the UK's independent
    # multi-agency panel for every negative conclusive decision): provisional until then, no letter, no window yet
    panel_confirms: tuple[int, ...] = ()

    _check = field_validator("reconsideration_window", "review_due", "stage2_redecision_due", "final_support_due")(
        _positive
    )

    @field_validator("appeal_window")
    @classmethod
    def _window_positive(cls, value: timedelta | None) -> timedelta | None:
        return value if value is None else _positive(value)

    @field_validator("panel_confirms")
    @classmethod
    def _stages(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if bad := sorted(str(s) for s in value if s not in (1, 2)):
            raise ValueError(f"panel_confirms names stages 1 and 2 only, not {', '.join(bad)}")
        return value

    @field_validator("challenged_by", "challenged_by_child")
    @classmethod
    def _challengers_can_act(cls, value: tuple[Role, ...]) -> tuple[Role, ...]:
        if bad := sorted(r.value for r in value if r in (Role.AUDITOR, Role.REVIEW_PANEL, Role.COMPETENT_AUTHORITY)):
            raise ValueError(f"{', '.join(bad)} may not challenge a decision")
        return value

    @property
    def has_appeal(self) -> bool:
        return self.appeal_window is not None and self.appeal_levels > 0

    def challengers(self, *, is_child: bool) -> frozenset[Role]:
        return frozenset(self.challenged_by_child if is_child else self.challenged_by)

    def window_owner(self, *, is_child: bool) -> Role:
        return self.window_owner_child if is_child else self.window_owner_adult


class PermitRules(_Section):
    """Residence permits (CoE Convention Art. 14; handbook L6920-7075, L6776-6786): the immigration authority
    decides a residence permit within `issue_within` of a positive Stage 2, so that protection has no gap, and an
    interim permit within `interim_within` when Stage 2 is overdue at the end of the R&R period. A permit is valid
    for at least `min_duration` (`interim_min_duration`); its renewal is decided before it expires, with reminders
    `renewal_reminders` before expiry to the authority and the person's advocate."""

    issue_within: timedelta = timedelta(days=30)
    interim_within: timedelta = timedelta(days=7)
    min_duration: timedelta = timedelta(days=182)  # ICMPD: at least 6 months, renewable (004 L2516-2524)
    interim_min_duration: timedelta = timedelta(days=30)
    renewable: bool = True
    renewal_reminders: tuple[timedelta, ...] = (timedelta(days=60), timedelta(days=30))  # before expiry
    grounds: tuple[PermitGround, ...] = (PermitGround.PERSONAL_SITUATION, PermitGround.COOPERATION)
    grounds_child: tuple[PermitGround, ...] = (
        PermitGround.BEST_INTERESTS,
        PermitGround.PERSONAL_SITUATION,
        PermitGround.COOPERATION,
    )

    _check = field_validator("issue_within", "interim_within", "min_duration", "interim_min_duration")(_positive)

    @field_validator("renewal_reminders")
    @classmethod
    def _reminders_before(cls, value: tuple[timedelta, ...]) -> tuple[timedelta, ...]:
        if any(v <= timedelta(0) for v in value):
            raise ValueError("each reminder is a positive duration before expiry")
        if list(value) != sorted(set(value), reverse=True):
            raise ValueError("reminders before expiry are listed earliest first (e.g. P60D, P30D), each once")
        return value

    @field_validator("grounds", "grounds_child")
    @classmethod
    def _some_grounds(cls, value: tuple[PermitGround, ...]) -> tuple[PermitGround, ...]:
        if not value:
            raise ValueError("at least one ground")
        return value

    def grounds_for(self, *, is_child: bool) -> tuple[PermitGround, ...]:
        return self.grounds_child if is_child else self.grounds


class ReturnRules(_Section):
    """Voluntary return (Guiding Principles, 001 L478-535, L850-858): the pre-return risk assessment within
    `assessment_within` of the request (by `assessed_by`, with the person), the plan within `plan_within` of a clear
    assessment (no undue delay), reintegration check-ins by `checked_in_by` at the intervals `check_in_every`
    (the last repeated: monthly for 3 months, then quarterly, IOM practice) for at least `monitoring_at_least`
    (ideally a year, L856-857), a child until adulthood. Where the receiving country was contacted, its support
    provider confirms within `reception_within` of the departure that the person was received (or did not arrive)."""

    assessment_within: timedelta = timedelta(days=14)
    assessed_by: Role = Role.SUPPORT_PROVIDER
    plan_within: timedelta = timedelta(days=14)
    check_in_every: tuple[timedelta, ...] = (
        timedelta(days=30),
        timedelta(days=30),
        timedelta(days=30),
        timedelta(days=90),
    )
    checked_in_by: Role = Role.RECEIVING_SUPPORT
    monitoring_at_least: timedelta = timedelta(days=365)
    reception_within: timedelta = timedelta(days=2)

    _check = field_validator("assessment_within", "plan_within", "monitoring_at_least", "reception_within")(_positive)

    @field_validator("check_in_every")
    @classmethod
    def _intervals(cls, value: tuple[timedelta, ...]) -> tuple[timedelta, ...]:
        if not value or any(v <= timedelta(0) for v in value):
            raise ValueError("at least one interval, each a positive duration")
        return value


class Policy(BaseModel):
    """One jurisdiction's rules. Stage 2 is due at the end of the R&R period that a positive Stage 1 opens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    title: str
    jurisdiction: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    stage1: Stage1Rules
    rr: RecoveryReflectionRules
    reminders: ReminderRules
    escalation: EscalationRules
    # Optional so that policies and case snapshots written before provisions existed still load.
    provisions: ProvisionRules = Field(default_factory=ProvisionRules)
    assessments: tuple[AssessmentRules, ...] = ()
    appeals: AppealRules = Field(default_factory=AppealRules)
    stage2: Stage2Rules = Field(default_factory=Stage2Rules)
    permits: PermitRules | None = None  # absent: the jurisdiction's permits are not tracked in the case
    returns: ReturnRules | None = None  # absent: voluntary returns are not tracked in the case
    children: ChildRules = Field(default_factory=ChildRules)
    age: AgeRules = Field(default_factory=AgeRules)
    missing: MissingRules = Field(default_factory=MissingRules)
    source_sha256: str = ""

    @model_validator(mode="after")
    def _stage2_after_stage1(self) -> Policy:
        if self.rr.period <= self.stage1.due_adult:
            raise ValueError("rr.period must be longer than stage1.due_adult (Stage 2 cannot fall due before Stage 1)")
        return self

    @model_validator(mode="after")
    def _assessments_have_review_rules(self) -> Policy:
        kinds = [a.kind for a in self.assessments]
        if dupes := sorted({k.value for k in kinds if kinds.count(k) > 1}):
            raise ValueError(f"assessments: listed twice: {', '.join(dupes)}")
        items = (*self.provisions.adult, *self.provisions.child, *self.children.from_entry)
        listed = {i.kind for i in items if i.kind.is_assessment}
        if missing := sorted(k.value for k in listed - set(kinds)):
            raise ValueError(f"assessments: no max_review_interval for {', '.join(missing)} (listed as a provision)")
        return self

    @model_validator(mode="after")
    def _child_duties_owed_once(self) -> Policy:
        entry = {i.kind for i in self.children.from_entry}
        if twice := sorted(i.kind.value for i in self.provisions.child if i.kind in entry):
            raise ValueError(f"provisions.child: owed from entry already (children.from_entry): {', '.join(twice)}")
        return self

    @model_validator(mode="after")
    def _stage2_not_before_rr_end(self) -> Policy:
        if self.stage2.due_after is not None and self.stage2.due_after < self.rr.period:
            raise ValueError("stage2.due_after must not be shorter than rr.period (Stage 2 follows the R&R period)")
        return self

    @property
    def stage2_tied(self) -> bool:
        """Stage 2 is due at the end of the R&R period (and moves with it), unless it has a limit of its own."""
        return self.stage2.due_after is None

    @property
    def stage2_limit(self) -> timedelta:
        """How long after a positive Stage 1 the conclusive decision is due."""
        return self.stage2.due_after or self.rr.period

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def provisions_for(
        self, *, is_child: bool, unaccompanied: bool, family_safe: bool = False
    ) -> list[tuple[ProvisionItem, timedelta]]:
        """The provisions a case owes after a positive Stage 1, each with the time it is due within."""
        rules = self.provisions
        items, due = (rules.child, rules.due_child) if is_child else (rules.adult, rules.due_adult)
        return [(i, i.due or due) for i in items if _applies(i, unaccompanied=unaccompanied, family_safe=family_safe)]

    def owed_from_entry(self, *, unaccompanied: bool, family_safe: bool) -> list[tuple[ProvisionItem, timedelta]]:
        """What a child case owes from the moment the child enters the NRM, each with the time it is due within."""
        rules = self.children
        return [
            (i, i.due or rules.due)
            for i in rules.from_entry
            if _applies(i, unaccompanied=unaccompanied, family_safe=family_safe)
        ]

    def max_review_interval(self, kind: ObligationKind) -> timedelta | None:
        return next((a.max_review_interval for a in self.assessments if a.kind is kind), None)


def _applies(item: ProvisionItem, *, unaccompanied: bool, family_safe: bool) -> bool:
    if item.only_if is ProvisionCondition.UNACCOMPANIED:
        return unaccompanied
    if item.only_if is ProvisionCondition.WITHOUT_SAFE_FAMILY_CARE:
        return unaccompanied or not family_safe
    return True


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_policy(text: str, *, source: str) -> Policy:
    """Validate policy TOML text; `source` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    data["source_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_field_path(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{source}: {problems}") from None


def policy_path(name_or_path: str, directory: Path) -> Path:
    """A policy is named (`osce-model`, found in `directory`) or given as a path to a .toml file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml":
        return candidate
    return directory / f"{name_or_path}.toml"


def load_policy(name_or_path: str, directory: Path) -> Policy:
    path = policy_path(name_or_path, directory)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(sorted(p.stem for p in directory.glob("*.toml"))) or "none"
        raise PolicyError(f"no policy {name_or_path!r} (looked for {path}); policies available: {known}") from None
    return parse_policy(text, source=str(path))


def list_policies(directory: Path) -> list[Policy]:
    return [load_policy(str(p), directory) for p in sorted(directory.glob("*.toml"))]

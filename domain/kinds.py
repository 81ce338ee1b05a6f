"""What a case can owe: the closed vocabulary of obligation kinds that policies, templates and the CLI share.

Policies choose which kinds a case owes, to whom and by when; the vocabulary itself is code so that every
kind has a label in every shipped language and a misspelt kind in a policy file is an error, not a silent gap.
"""

from __future__ import annotations

import enum


class ObligationKind(str, enum.Enum):
    # decisions (fulfilled by `nrm case decide`)
    STAGE1_DECISION = "stage1_decision"
    STAGE2_DECISION = "stage2_decision"
    # immediate provisions after a positive Stage 1 (DOMAIN.md section 3)
    NRM_REFERRAL = "nrm_referral"  # NRM referral or alternative services
    CHILD_PROTECTION_REFERRAL = "child_protection_referral"  # a child: referral to NRM and child protection
    RR_GRANTED = "rr_granted"
    INDEPENDENT_ADVOCATE = "independent_advocate"
    GUARDIAN_ADVOCATE = "guardian_advocate"
    LEGAL_GUARDIAN = "legal_guardian"  # a child without parental care
    URGENT_HEALTHCARE = "urgent_healthcare"
    EMERGENCY_KIT = "emergency_kit"
    PRACTICAL_NEEDS = "practical_needs"
    ACCOMMODATION = "accommodation"
    LEGAL_ADVICE = "legal_advice"
    # a child from entry into the NRM (domain.children): intensive supervision for the Golden Day
    GOLDEN_DAY_PLAN = "golden_day_plan"
    # an age dispute (domain.age): the assessment (its result an act of its own) and, after a final adult
    # finding, the guardian advocate's handover to an independent advocate
    AGE_ASSESSMENT = "age_assessment"
    ADVOCATE_HANDOVER = "advocate_handover"
    # coming of age by the date of birth (domain.majority): the plan for the move to adult support
    TRANSITION_PLAN = "transition_plan"
    # assessments (fulfilled by `nrm case assess`; each result sets the date of the next review)
    NEEDS_RISKS_ASSESSMENT = "needs_risks_assessment"
    SAFETY_SUPPORT_PLAN = "safety_support_plan"
    BEST_INTERESTS_ASSESSMENT = "best_interests_assessment"
    # rights after a negative decision (domain.appeals): windows to challenge it and the panel's review
    RECONSIDERATION_REQUEST = "reconsideration_request"  # the window to request reconsideration
    RECONSIDERATION_REVIEW = "reconsideration_review"  # the review panel's decision on a request
    APPEAL_LODGING = "appeal_lodging"  # the window to lodge a judicial appeal
    # owed once a negative decision is final (support never just stops)
    VULNERABILITY_ASSESSMENT = "vulnerability_assessment"
    ONWARD_REFERRAL = "onward_referral"  # referral to support services outside the NRM
    # residence permits (domain.permits): decided by the immigration authority
    RESIDENCE_PERMIT = "residence_permit"  # owed with a positive Stage 2
    INTERIM_PERMIT = "interim_permit"  # owed when Stage 2 is overdue at the end of the R&R period
    PERMIT_RENEWAL = "permit_renewal"  # the renewal of a permit, decided before it expires
    # voluntary return (domain.returns), only at the person's own request
    PRE_RETURN_RISK_ASSESSMENT = "pre_return_risk_assessment"  # with the person, covering the family
    RETURN_PLAN = "return_plan"  # the plan made without undue delay once no risk is found
    RETURN_DEPARTURE = "return_departure"  # the departure as planned (holds checked again then)
    RETURN_RECEPTION = "return_reception"  # the receiving side confirms the person was received on arrival
    REINTEGRATION_CHECK_IN = "reintegration_check_in"  # by the receiving side's support provider

    @property
    def is_decision(self) -> bool:
        return self in DECISION_KINDS

    @property
    def is_assessment(self) -> bool:
        return self in ASSESSMENT_KINDS

    @property
    def recorded_by(self) -> str | None:
        """The command that records an obligation of this kind, when it is not `provide` or `assess`."""
        return RECORDED_BY.get(self)

    @property
    def is_window(self) -> bool:
        """A window in which the person may challenge a decision: when it closes unused, the next step follows."""
        return self in WINDOW_KINDS


DECISION_KINDS = frozenset({ObligationKind.STAGE1_DECISION, ObligationKind.STAGE2_DECISION})
ASSESSMENT_KINDS = frozenset(
    {
        ObligationKind.NEEDS_RISKS_ASSESSMENT,
        ObligationKind.SAFETY_SUPPORT_PLAN,
        ObligationKind.BEST_INTERESTS_ASSESSMENT,
    }
)
WINDOW_KINDS = frozenset({ObligationKind.RECONSIDERATION_REQUEST, ObligationKind.APPEAL_LODGING})
RECORDED_BY = {
    ObligationKind.STAGE1_DECISION: "nrm case decide",
    ObligationKind.STAGE2_DECISION: "nrm case decide",
    ObligationKind.RECONSIDERATION_REQUEST: "nrm case reconsider",
    ObligationKind.RECONSIDERATION_REVIEW: "nrm case review",
    ObligationKind.APPEAL_LODGING: "nrm case appeal",
    ObligationKind.RESIDENCE_PERMIT: "nrm case permit",
    ObligationKind.INTERIM_PERMIT: "nrm case permit",
    ObligationKind.PERMIT_RENEWAL: "nrm case permit",
    ObligationKind.PRE_RETURN_RISK_ASSESSMENT: "nrm case return assess",
    ObligationKind.RETURN_PLAN: "nrm case return plan",
    ObligationKind.RETURN_DEPARTURE: "nrm case return depart",
    ObligationKind.REINTEGRATION_CHECK_IN: "nrm case return check-in",
    ObligationKind.RETURN_RECEPTION: "nrm case return received",
    ObligationKind.AGE_ASSESSMENT: "nrm case age-assessment",
}
PERMIT_KINDS = frozenset(
    {ObligationKind.RESIDENCE_PERMIT, ObligationKind.INTERIM_PERMIT, ObligationKind.PERMIT_RENEWAL}
)

"""Recording a treatment decision under the medication gate.

Only a consultant records a decision.  `start` is refused when the gate says
`blocked`, and without a written override reason when it says `needs_reason`; a
refusal writes nothing.  Every decision keeps the gate output it was made under.
"""

from __future__ import annotations

import json
from datetime import date

from pao_clinic.errors import DecisionRefused, ValidationError
from pao_clinic.gate import DexaHistory, GateFacts, check_medication, clinical_facts, interpret_dexa_history
from pao_clinic.storage.models import DecisionRow
from pao_clinic.record import Decision
from pao_clinic.services.clinic import clinic_settings
from pao_clinic.services.records import add_clinical_entry, new_entry_problems
from pao_clinic.services.session import PRESCRIBING_ROLES, Actor, clinical_write
from pao_clinic.services.snapshots import load_patient_record


def gate_check(patient_id: int, drug: str, on: date, *, course_days: int | None = None):
    """The medication gate's answer for her, this drug and this date (clinic settings applied)."""
    return check_medication(load_patient_record(patient_id), drug, on, course_days=course_days,
                            settings=clinic_settings())


def dexa_reading(patient_id: int, on: date) -> DexaHistory:
    """Her DEXA scans up to a date, read for a premenopausal woman (Z-score first, change vs LSC)."""
    return interpret_dexa_history(load_patient_record(patient_id), on, clinic_settings())


def record_decision(actor: Actor, patient_id: int, *, plan: str, drug: str | None = None,
                    on: date | None = None, reason: str | None = None, review_on: date | None = None,
                    course_days: int | None = None) -> Decision:
    on = on or date.today()
    reason = (reason or "").strip() or None
    with clinical_write(actor, PRESCRIBING_ROLES, "Recording a treatment decision"):
        settings = clinic_settings()
        record = load_patient_record(patient_id)
        decision = Decision(decided_on=on, plan=plan, drug=drug, by=actor.display_name,
                            override_reason=reason, review_on=review_on)
        problems = new_entry_problems(record, decision, today=date.today())  # before asking the gate
        if problems:
            raise ValidationError(problems)
        if drug is not None:
            result = check_medication(record, drug, on, course_days=course_days, settings=settings)
            gate_output = result.to_json()
            if plan == "start" and result.verdict == "blocked":
                blocks = [r for r in result.rules if r.level == "block"]
                raise DecisionRefused(
                    "Cannot record 'start': the medication gate blocks it.\n"
                    + "\n".join(f"{r.id}: {r.message}" for r in blocks), rules=tuple(blocks))
            if plan == "start" and result.verdict == "needs_reason" and reason is None:
                warns = [r for r in result.rules if r.level == "warn"]
                raise DecisionRefused(
                    "Cannot record 'start' without a written reason: the medication gate raises soft stops.\n"
                    + "\n".join(f"{r.id}: {r.message}" for r in warns), rules=tuple(warns))
        else:
            facts = clinical_facts(record, on, settings)
            gate_output = {"patient": record.identifier, "drug": None, "on": on.isoformat(),
                           "facts": GateFacts.from_clinical_facts(facts).to_json()}
        saved = add_clinical_entry(actor, patient_id, decision,
                                   extra_columns={"gate_output": json.dumps(gate_output, ensure_ascii=False)})
    return saved


def decision_gate_output(decision_id: int) -> dict | None:
    """The gate output a recorded decision was made under (None for imported decisions)."""
    row = DecisionRow.get_by_id(decision_id)
    return json.loads(row.gate_output) if row.gate_output else None

"""The medication gate through the command line: every numbered example of the spec,
`check` in JSON and readable form, `worklist`, and `decide` (recording decisions)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from pao_clinic.record.codes import DRUG_NAMES
from pao_clinic.record.dates import written_date
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.models import AuditEntry, DecisionRow

from .conftest import DATA
from .test_cli import fingerprint, in_database, run

EXAMPLES = DATA / "gate_examples"
EXPECTED = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))["examples"]
CHECKS = [(e, c) for e in EXPECTED for c in e["checks"]]
OUTPUT_KEYS = {"patient", "drug", "on", "verdict", "review_on", "rules", "facts"}
FACT_KEYS = {"pregnant", "lactation", "index_date", "repeat_fractures", "vertebral_fractures_at_presentation",
             "lowest_z", "anabolic_days_used"}
LEVEL_ORDER = {"block": 0, "warn": 1, "info": 2}


@pytest.fixture
def cli_clinic(clinic, signed_in_env):
    close_database()
    signed_in_env("dr.chen")
    return clinic


def import_example(url: str, example: dict) -> None:
    code, _, err = run("--database", url, "import", str(EXAMPLES / example["file"]))
    assert code == 0, err


@pytest.mark.parametrize("example, check", CHECKS,
                         ids=[f"example{e['example']}-{c['drug']}-{c['on']}" for e, c in CHECKS])
def test_each_spec_example_through_import_and_check_json(cli_clinic, example, check):
    import_example(cli_clinic.url, example)
    code, out, err = run("--database", cli_clinic.url, "check", "--patient", example["patient"],
                         "--drug", check["drug"], "--on", check["on"], "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == OUTPUT_KEYS and set(result["facts"]) == FACT_KEYS
    assert (result["patient"], result["drug"], result["on"]) == (example["patient"], check["drug"], check["on"])
    assert result["verdict"] == check["verdict"]
    assert result["review_on"] == check["review_on"]
    by_level = {level: [r["id"] for r in result["rules"] if r["level"] == level] for level in LEVEL_ORDER}
    assert by_level == check["rules"]
    levels = [LEVEL_ORDER[r["level"]] for r in result["rules"]]
    assert levels == sorted(levels), "block first, then warn, then info"
    assert all(r["message"].strip() for r in result["rules"])
    assert result["facts"] == check["facts"]


@pytest.mark.parametrize("example", [e for e in EXPECTED if e.get("worklists")],
                         ids=lambda e: f"example{e['example']}")
def test_each_spec_example_worklist_through_the_cli(cli_clinic, example):
    import_example(cli_clinic.url, example)
    for expected in example["worklists"]:
        code, out, err = run("--database", cli_clinic.url, "worklist", "--on", expected["on"], "--json")
        assert code == 0, err
        tasks = [t for t in json.loads(out) if t["patient"] == example["patient"]]
        assert [{k: t[k] for k in ("code", "priority", "due_on")} for t in tasks] == expected["tasks"]
        assert all(set(t) == {"patient", "code", "priority", "due_on", "message"} for t in tasks)


RULE_LINE = re.compile(r"\[([A-Z]+)\] ([A-Z]+-\d+)  \S")
READABLE_VERDICTS = {"allowed": "ALLOWED", "needs_reason": "NEEDS A REASON", "blocked": "BLOCKED"}


def clinic_date(iso: str) -> str:
    return written_date(date.fromisoformat(iso))


@pytest.mark.parametrize("example, check", CHECKS,
                         ids=[f"example{e['example']}-{c['drug']}-{c['on']}" for e, c in CHECKS])
def test_check_without_json_is_readable_by_a_person(cli_clinic, example, check):
    import_example(cli_clinic.url, example)
    code, out, err = run("--database", cli_clinic.url, "check", "--patient", example["patient"],
                         "--drug", check["drug"], "--on", check["on"])
    assert code == 0, err
    lines = out.splitlines()
    assert "{" not in out
    # the question and its answer on the first line, the verdict in capitals at its end
    heading = lines[0]
    assert f"{DRUG_NAMES[check['drug']]} ({check['drug']})" in heading
    assert f"on {clinic_date(check['on'])}: " in heading
    assert heading.endswith(f": {READABLE_VERDICTS[check['verdict']]}"), heading
    other_words = set(READABLE_VERDICTS.values()) - {READABLE_VERDICTS[check["verdict"]]}
    assert not any(word in out for word in other_words), out
    review = clinic_date(check["review_on"]) if check["review_on"] else "-"
    assert f"Review on: {review}" in lines
    # every rule that fired, block first, as "[LEVEL] ID  message"
    expected_rules = [(level.upper(), rule_id) for level in LEVEL_ORDER for rule_id in check["rules"][level]]
    shown_rules = [RULE_LINE.match(line).groups() for line in lines if line.startswith("[")]
    assert shown_rules == expected_rules
    facts = check["facts"]
    assert f"  lactation: {facts['lactation'].replace('_', ' ')}" in lines
    assert f"  pregnant: {'yes' if facts['pregnant'] else 'no'}" in lines
    assert f"  repeat fractures: {facts['repeat_fractures']}" in lines
    assert f"  anabolic days used: {facts['anabolic_days_used']}" in lines


@pytest.mark.parametrize("argv, words", [
    (("--patient", "0000000000", "--drug", "alendronate"), "no patient"),
    (("--patient", "9434765919", "--drug", "aspirin"), "not a drug code"),
])
def test_check_of_an_unknown_patient_or_drug_exits_2(cli_clinic, argv, words):
    import_example(cli_clinic.url, EXPECTED[0])
    code, out, err = run("--database", cli_clinic.url, "check", *argv, "--json")
    assert code == 2 and words in err and out == ""


# --- recording decisions ------------------------------------------------------------------

def decide(url, example, *args):
    return run("--database", url, "decide", "--patient", example["patient"], *args)


def example_numbered(n: int) -> dict:
    return next(e for e in EXPECTED if e["example"] == n)


def test_a_blocked_start_is_refused_with_the_rule_and_nothing_is_written(cli_clinic):
    example = example_numbered(1)
    import_example(cli_clinic.url, example)
    before = in_database(cli_clinic.url, fingerprint)
    code, out, err = decide(cli_clinic.url, example, "--plan", "start", "--drug", "zoledronate",
                            "--on", "2025-06-01", "--reason", "she asked")
    assert code == 2 and "BF-1" in err and "blocks" in err
    assert in_database(cli_clinic.url, fingerprint) == before


def test_a_soft_stop_needs_a_written_reason_which_is_stored_and_audited(cli_clinic):
    example = example_numbered(5)  # alendronate on 2025-03-01 needs a reason [IND-1]
    import_example(cli_clinic.url, example)
    before = in_database(cli_clinic.url, fingerprint)
    code, _, err = decide(cli_clinic.url, example, "--plan", "start", "--drug", "alendronate", "--on", "2025-03-01")
    assert code == 2 and "IND-1" in err and "reason" in err
    code, _, err = decide(cli_clinic.url, example, "--plan", "start", "--drug", "alendronate", "--on",
                          "2025-03-01", "--reason", "   ")
    assert code == 2 and "IND-1" in err
    assert in_database(cli_clinic.url, fingerprint) == before

    reason = "Z-score borderline but severe back pain and family history; discussed with her"
    code, out, err = decide(cli_clinic.url, example, "--plan", "start", "--drug", "alendronate",
                            "--on", "2025-03-01", "--reason", reason, "--review-on", "2025-09-01")
    assert code == 0, err
    assert "recorded decision: start alendronate on 2025-03-01 by Dr Mei Chen" in out

    def stored():
        row = DecisionRow.get()
        audit = AuditEntry.get(AuditEntry.record_type == "decision")
        return row, audit
    row, audit = in_database(cli_clinic.url, stored)
    assert row.override_reason == reason and row.by_name == "Dr Mei Chen"
    gate = json.loads(row.gate_output)
    assert gate["verdict"] == "needs_reason" and [r["id"] for r in gate["rules"] if r["level"] == "warn"] == ["IND-1"]
    after = json.loads(audit.after)
    assert after["override_reason"] == reason and json.loads(after["gate_output"])["verdict"] == "needs_reason"
    assert audit.user_name == "dr.chen"


def test_a_nurse_cannot_record_a_decision(clinic, signed_in_env):
    close_database()
    signed_in_env("nina.nurse")
    example = example_numbered(6)
    import_example(clinic.url, example)
    before = in_database(clinic.url, fingerprint)
    code, _, err = decide(clinic.url, example, "--plan", "conservative", "--on", "2025-05-20")
    assert code == 2 and "consultant" in err
    assert in_database(clinic.url, fingerprint) == before


def test_an_allowed_start_and_a_conservative_plan_are_recorded_with_their_gate_output(cli_clinic):
    example = example_numbered(6)  # alendronate on 2025-05-20 allowed
    import_example(cli_clinic.url, example)
    assert decide(cli_clinic.url, example, "--plan", "start", "--drug", "alendronate", "--on", "2025-05-20")[0] == 0
    assert decide(cli_clinic.url, example, "--plan", "conservative", "--on", "2025-05-21")[0] == 0

    def outputs():
        return [json.loads(r.gate_output) for r in DecisionRow.select().order_by(DecisionRow.id)]
    started, conservative = in_database(cli_clinic.url, outputs)
    assert started["verdict"] == "allowed" and started["facts"]["repeat_fractures"] == 1
    assert conservative["drug"] is None and conservative["facts"]["repeat_fractures"] == 1
    code, out, _ = run("--database", cli_clinic.url, "export", "--patient", example["patient"])
    decisions = json.loads(out)["patients"][0]["decisions"]
    assert [(d["plan"], d.get("drug")) for d in decisions] == [("start", "alendronate"), ("conservative", None)]


def test_the_readable_worklist_shows_spaced_nhs_numbers_and_clinic_dates(cli_clinic):
    example = example_numbered(4)  # lactation unknown: LACTATION-UNKNOWN on 2025-04-01
    import_example(cli_clinic.url, example)
    code, out, _ = run("--database", cli_clinic.url, "worklist", "--on", "2025-04-01")
    assert code == 0
    nhs = example["patient"]
    line = next(line for line in out.splitlines() if "LACTATION-UNKNOWN" in line)
    assert f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" in line and "10-Jan-2025" in line

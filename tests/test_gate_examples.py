"""The numbered examples 1-8 of medication-gate.md.

Each example is an exchange-format document in tests/data/gate_examples/exampleN.json;
expected.json lists the check arguments and the expected verdict, review_on, rule ids
by level, facts and worklist (the lead runs the same files through the CLI).  SPEC
below restates, independently of expected.json, what the spec's text says of each
example, so that a wrong expected.json cannot pass.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from pao_clinic.gate import check_medication, worklist
from pao_clinic.record.nhs_number import nhs_number_problem
from tests.gate_builders import EXAMPLES_DIR, load_example, load_expected, records_from_document

EXPECTED = load_expected()["examples"]
CHECKS = [
    pytest.param(example, check, id=f"example{example['example']}-{check['drug']}-{check['on']}")
    for example in EXPECTED for check in example["checks"]
]

# (example, drug, on) -> what the spec's text states (verdict, rules that must be there, facts stated).
SPEC = {
    (1, "zoledronate", "2025-06-01"): dict(
        verdict="blocked", block=["BF-1"], info=["IND-2", "DXA-3"],
        facts=dict(lactation="breastfeeding", vertebral_fractures_at_presentation=2, repeat_fractures=0)),
    (2, "zoledronate", "2025-06-01"): dict(verdict="blocked", block=["BF-1"], review_on="2025-06-02"),
    (2, "zoledronate", "2025-06-02"): dict(verdict="allowed", block=[], warn=[], info=["IND-2", "DXA-3", "PREG-2"]),
    (3, "alendronate", "2025-08-01"): dict(verdict="blocked", block=["BF-1"], review_on="2025-10-01"),
    (4, "risedronate", "2025-04-01"): dict(verdict="blocked", block=["DATA-1"]),
    (5, "alendronate", "2025-03-01"): dict(verdict="needs_reason", block=[], warn=["IND-1"]),
    (6, "alendronate", "2025-05-20"): dict(
        verdict="allowed", block=[], warn=[], info=["FX-1", "IND-2", "PREG-2"], facts=dict(repeat_fractures=1)),
    (7, "alendronate", "2025-05-20"): dict(verdict="needs_reason", block=[], warn=["IND-1"], facts=dict(repeat_fractures=0)),
    (8, "calcium_vitamin_d", "2025-03-01"): dict(
        verdict="allowed", block=[], warn=[], info=["SUP-1"], facts=dict(pregnant=True, lactation="breastfeeding")),
}


def _rule_ids(result) -> dict[str, list[str]]:
    return {level: list(result.rule_ids(level)) for level in ("block", "warn", "info")}


@pytest.mark.parametrize("example, check", CHECKS)
def test_example_check(example, check):
    record = load_example(example["example"])
    result = check_medication(record, check["drug"], date.fromisoformat(check["on"]))
    output = result.to_json()
    assert output["patient"] == example["patient"]
    assert output["verdict"] == check["verdict"]
    assert output["review_on"] == check["review_on"]
    assert _rule_ids(result) == check["rules"]
    assert output["facts"] == check["facts"]


@pytest.mark.parametrize("key, stated", list(SPEC.items()), ids=[f"example{k[0]}-{k[1]}-{k[2]}" for k in SPEC])
def test_expected_json_says_what_the_spec_says(key, stated):
    number, drug, on = key
    (example,) = [e for e in EXPECTED if e["example"] == number]
    (check,) = [c for c in example["checks"] if c["drug"] == drug and c["on"] == on]
    assert check["verdict"] == stated["verdict"]
    if "review_on" in stated:
        assert check["review_on"] == stated["review_on"]
    for level in ("block", "warn", "info"):
        if level in stated:
            if level == "info" or stated[level] == []:
                assert check["rules"][level] == stated[level]
            else:
                assert check["rules"][level][:len(stated[level])] == stated[level]
    for name, value in stated.get("facts", {}).items():
        assert check["facts"][name] == value


def test_every_example_of_the_spec_is_covered():
    assert sorted(e["example"] for e in EXPECTED) == list(range(1, 9))
    assert {(e["example"], c["drug"], c["on"]) for e in EXPECTED for c in e["checks"]} >= set(SPEC)


@pytest.mark.parametrize("example", EXPECTED, ids=lambda e: f"example{e['example']}")
def test_example_worklist(example):
    records = [load_example(example["example"])]
    for expected in example["worklists"]:
        tasks = worklist(records, date.fromisoformat(expected["on"]))
        assert [{"code": t.code, "priority": t.priority, "due_on": t.due_on.isoformat()} for t in tasks] == expected["tasks"]
        assert all(t.patient == example["patient"] for t in tasks)


def test_example_4_worklist_has_lactation_unknown():
    tasks = worklist([load_example(4)], date(2025, 4, 1))
    assert ("LACTATION-UNKNOWN", "high", date(2025, 1, 10)) in [(t.code, t.priority, t.due_on) for t in tasks]


@pytest.mark.parametrize("number", range(1, 9))
def test_example_documents_are_whole_exchange_documents(number):
    document = json.loads((EXAMPLES_DIR / f"example{number}.json").read_text(encoding="utf-8"))
    assert document["format"] == "pao-clinic-exchange" and document["version"] == 1
    assert document["exported_at"]
    (patient,) = document["patients"]
    assert nhs_number_problem(patient["nhs_number"]) is None
    assert patient["hospital_number"]
    for key in ("contraception", "dental_reviews", "pregnancies", "breastfeeding", "fractures", "dexa", "bloods",
                "heights", "epds", "medications", "referrals", "decisions"):
        assert isinstance(patient[key], list)
    # the tests' own tiny reader and the real parser (when present) read the same record
    (mine,) = records_from_document(document)
    assert mine == load_example(number)


def test_example_documents_have_distinct_identifiers():
    numbers = [json.loads((EXAMPLES_DIR / f"example{n}.json").read_text(encoding="utf-8"))["patients"][0]
               for n in range(1, 9)]
    assert len({p["nhs_number"] for p in numbers}) == 8
    assert len({p["hospital_number"] for p in numbers}) == 8

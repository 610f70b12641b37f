"""The product's own reference (docs/) kept honest against the code.

- every code list of `pao_clinic.record.codes` is in docs/exchange-format.md;
- every rule id, worklist code, clinic setting (with its default), verdict, level,
  priority and output fact of the gate is in docs/medication-gate.md;
- the example document of docs/exchange-format.md imports cleanly through the real CLI
  into a fresh database and exports back as the same document;
- the gate's and the worklist's example outputs in docs/medication-gate.md are what
  the CLI prints for that example.

A term counts as documented only where a reader would look it up: as a `code span`
or as a whole table cell, outside fenced code blocks.  Each checker is also shown to
fail on a text that lacks what it checks.
"""

from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from pao_clinic import cli
from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.gate.rules import LEVELS, RULE_IDS, VERDICTS, GateFacts
from pao_clinic.gate.worklist import PRIORITIES, TASK_CODES
from pao_clinic.record import codes
from pao_clinic.storage.connection import close_database

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXCHANGE_DOC = DOCS / "exchange-format.md"
GATE_DOC = DOCS / "medication-gate.md"

_FENCED_BLOCK = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


# --- reading the docs ---------------------------------------------------------------------

def read_doc(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def fenced_blocks(markdown: str, language: str) -> list[str]:
    """The contents of the ```language fenced blocks, in order."""
    return [body for lang, body in _FENCED_BLOCK.findall(markdown) if lang.strip() == language]


def documented_terms(markdown: str) -> set[str]:
    """Every code span and every table cell (with and without its backticks), outside code blocks."""
    prose = _FENCED_BLOCK.sub("", markdown)
    terms = set(_CODE_SPAN.findall(prose))
    for row in table_rows(prose):
        for cell in row:
            terms.add(cell)
            terms.add(cell.strip("`"))
    return terms


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of every table row (separator rows left out), stripped."""
    rows = []
    for line in markdown.splitlines():
        line = line.strip()
        if len(line) < 2 or not (line.startswith("|") and line.endswith("|")):
            continue
        cells = [cell.strip() for cell in line[1:-1].split("|")]
        if all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            continue
        rows.append(cells)
    return rows


def undocumented(values, markdown: str) -> list[str]:
    """The values (as text) that the markdown does not document."""
    terms = documented_terms(markdown)
    return [str(value) for value in values if str(value) not in terms]


def code_lists() -> dict[str, tuple]:
    """Every code list of `pao_clinic.record.codes`: its tuples, frozensets and dicts.

    For a dict (blood test -> unit, drug -> name) both its codes and its values are
    listed: the units and the drug names are part of the reference too.
    """
    lists: dict[str, tuple] = {}
    for name, value in vars(codes).items():
        if not name.isupper() or name.startswith("_"):
            continue
        if isinstance(value, dict):
            lists[name] = tuple(value)
            lists[f"{name} (values)"] = tuple(value.values())
        elif isinstance(value, (tuple, frozenset)):
            lists[name] = tuple(sorted(value, key=str))
    return lists


def documented_defaults(markdown: str) -> dict[str, str]:
    """The default written next to each clinic setting in a `| `name` | default | ... |` row."""
    names = {f.name for f in fields(ClinicSettings)}
    found = {}
    for row in table_rows(markdown):
        if len(row) >= 2 and row[0].strip("`") in names and row[0].startswith("`"):
            found[row[0].strip("`")] = row[1]
    return found


def wrong_defaults(markdown: str, settings: ClinicSettings = DEFAULT_SETTINGS) -> list[str]:
    """Settings whose documented default is missing or differs from the code's."""
    written = documented_defaults(markdown)
    wrong = []
    for field in fields(ClinicSettings):
        text = written.get(field.name)
        expected = getattr(settings, field.name)
        try:
            same = text is not None and float(text.replace("\u2212", "-")) == float(expected)
        except ValueError:
            same = False
        if not same:
            wrong.append(f"{field.name}: documented {text!r}, the code's default is {expected!r}")
    return wrong


def rule_table_order(markdown: str) -> list[str]:
    """The rule ids in the order the rules table lists them (rows starting with a rule id)."""
    known = set(RULE_IDS)
    return [row[0] for row in table_rows(markdown) if row[0] in known and len(row) >= 4]


def example_document(markdown: str) -> dict:
    """The one ```json document of the exchange-format reference."""
    blocks = fenced_blocks(markdown, "json")
    if len(blocks) != 1:
        raise AssertionError(f"expected exactly one ```json example in the exchange reference, found {len(blocks)}")
    return json.loads(blocks[0])


def gate_examples(markdown: str) -> tuple[dict, list, str]:
    """The `check --json` example, the `worklist --json` example and the worklist's --on day."""
    blocks = [json.loads(b) for b in fenced_blocks(markdown, "json")]
    checks = [b for b in blocks if isinstance(b, dict) and "verdict" in b]
    worklists = [b for b in blocks if isinstance(b, list)]
    assert len(checks) == 1 and len(worklists) == 1, "expected one check and one worklist JSON example"
    before_worklist = markdown[: markdown.index(json.dumps(worklists[0], ensure_ascii=False, indent=2))]
    days = re.findall(r"`--on (\d{4}-\d{2}-\d{2})`", before_worklist)
    assert days, "the worklist example says which day it is for as `--on YYYY-MM-DD`"
    return checks[0], worklists[0], days[-1]


# --- code lists in the exchange-format reference --------------------------------------------

def test_every_public_constant_of_codes_is_a_code_list_the_docs_check():
    """A new kind of constant in codes.py must not slip past the docs check unseen."""
    public = {name: value for name, value in vars(codes).items() if name.isupper() and not name.startswith("_")}
    assert public, "codes.py has no code lists"
    not_checked = [name for name, value in public.items() if not isinstance(value, (tuple, frozenset, dict))]
    assert not_checked == []
    lists = code_lists()
    for name in ("DRUGS", "RISK_FACTORS", "FRACTURE_SITES", "BLOOD_TEST_UNITS", "ROLES", "LACTATION_STATUSES"):
        assert lists[name], name


@pytest.mark.parametrize("name", sorted(code_lists()))
def test_every_code_is_in_the_exchange_format_reference(name):
    missing = undocumented(code_lists()[name], read_doc(EXCHANGE_DOC))
    assert missing == [], f"codes.{name}: not in docs/exchange-format.md as `code` or a table cell: {missing}"


def test_a_code_missing_from_the_reference_is_detected():
    text = read_doc(EXCHANGE_DOC)
    assert undocumented(codes.RISK_FACTORS, text) == []
    without = text.replace("hyperemesis", "hyperemsis")
    assert undocumented(codes.RISK_FACTORS, without) == ["hyperemesis"]
    # a code that only appears inside the example document or in running prose does not count
    assert undocumented(["abc_only_in_example"], "text\n```json\n\"abc_only_in_example\"\n```\n") == ["abc_only_in_example"]
    assert undocumented(["gp"], "ask the gp about it") == ["gp"]
    assert undocumented(["gp"], "| `gp` | her GP |") == [] and undocumented([2], "| 2 | moderate |") == []


# --- the gate reference -------------------------------------------------------------------

GATE_TERMS = {
    "rule id (gate.rules.RULE_IDS)": RULE_IDS,
    "worklist code (gate.worklist.TASK_CODES)": TASK_CODES,
    "clinic setting (ClinicSettings)": tuple(f.name for f in fields(ClinicSettings)),
    "rule level (gate.rules.LEVELS)": LEVELS,
    "verdict (gate.rules.VERDICTS)": VERDICTS,
    "task priority (gate.worklist.PRIORITIES)": PRIORITIES,
    "output fact (GateFacts)": tuple(f.name for f in fields(GateFacts)),
    "lactation status (codes.LACTATION_STATUSES)": codes.LACTATION_STATUSES,
}


@pytest.mark.parametrize("what", sorted(GATE_TERMS))
def test_every_gate_term_is_in_the_medication_gate_reference(what):
    terms = GATE_TERMS[what]
    assert terms, what
    missing = undocumented(terms, read_doc(GATE_DOC))
    assert missing == [], f"{what}: not in docs/medication-gate.md: {missing}"


def test_a_rule_id_task_code_or_setting_missing_from_the_reference_is_detected():
    text = read_doc(GATE_DOC)
    assert undocumented(["DMAB-2", "PTH-LIMIT", "epds_high_score"], text) == []
    without = text.replace("DMAB-2", "DMAB-X").replace("PTH-LIMIT", "PTH-LIMITS").replace("epds_high_score", "epds_high")
    assert undocumented(["DMAB-2", "PTH-LIMIT", "epds_high_score"], without) == ["DMAB-2", "PTH-LIMIT", "epds_high_score"]


def test_every_clinic_setting_is_documented_with_the_codes_default():
    wrong = wrong_defaults(read_doc(GATE_DOC))
    assert wrong == [], "docs/medication-gate.md, Clinic settings: " + "; ".join(wrong)


def test_a_wrong_or_missing_default_is_detected():
    text = read_doc(GATE_DOC)
    changed = text.replace("| `epds_high_score` | 13 |", "| `epds_high_score` | 12 |")
    assert changed != text
    assert wrong_defaults(changed) == ["epds_high_score: documented '12', the code's default is 13"]
    dropped = "\n".join(line for line in text.splitlines() if not line.startswith("| `lsc_total_hip_percent`"))
    assert wrong_defaults(dropped) == ["lsc_total_hip_percent: documented None, the code's default is 5.0"]


def test_the_rules_table_lists_every_rule_once_in_the_gates_own_order():
    assert rule_table_order(read_doc(GATE_DOC)) == list(RULE_IDS)
    swapped = read_doc(GATE_DOC).replace("| PREG-1 |", "| PREG-TMP |").replace("| BF-1 |", "| PREG-1 |")
    assert rule_table_order(swapped) != list(RULE_IDS)


# --- the examples, through the real command line ----------------------------------------------

def run(*argv: str) -> tuple[int, str, str]:
    """The CLI in this process, as a user would run it (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(list(argv))
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def docs_clinic(clinic, signed_in_env):
    """A fresh database of its own for each test, addressed by URL; commands act as the admin."""
    close_database()
    signed_in_env("ada.admin")
    return clinic


def _without_export_time(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "exported_at"}


def test_the_example_document_imports_cleanly_and_exports_back_the_same(docs_clinic, tmp_path):
    example = example_document(read_doc(EXCHANGE_DOC))
    assert len(example["patients"]) >= 2
    # the same check refuses a broken copy, naming the path, and writes nothing
    broken = json.loads(json.dumps(example))
    broken["patients"][0]["fractures"][0]["site"] = "L7"
    (tmp_path / "broken.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    code, _, err = run("--database", docs_clinic.url, "import", str(tmp_path / "broken.json"))
    assert code == 2 and "patients[0].fractures[0].site" in err
    code, out, err = run("--database", docs_clinic.url, "export")
    assert code == 0, err
    assert json.loads(out)["patients"] == []

    source = tmp_path / "example.json"
    source.write_text(json.dumps(example, ensure_ascii=False, indent=2), encoding="utf-8")
    code, _, err = run("--database", docs_clinic.url, "import", str(source))
    assert code == 0, err
    assert f"imported {len(example['patients'])} patients" in err
    code, out, err = run("--database", docs_clinic.url, "export")
    assert code == 0, err
    exported = json.loads(out)
    assert [p["ref"] for p in exported["patients"]] == [p["ref"] for p in example["patients"]]
    assert _without_export_time(exported) == _without_export_time(example), \
        "the example in docs/exchange-format.md is not what export writes for it"


def test_a_document_without_exactly_one_json_example_is_detected():
    with pytest.raises(AssertionError, match="found 0"):
        example_document("# no example\n```text\nerror: ...\n```\n")
    with pytest.raises(AssertionError, match="found 2"):
        example_document("```json\n{}\n```\n\n```json\n{}\n```\n")


def test_the_gate_examples_are_what_the_cli_prints_for_the_example_document(docs_clinic, tmp_path):
    check, tasks, worklist_day = gate_examples(read_doc(GATE_DOC))
    source = tmp_path / "example.json"
    source.write_text(json.dumps(example_document(read_doc(EXCHANGE_DOC)), ensure_ascii=False), encoding="utf-8")
    code, _, err = run("--database", docs_clinic.url, "import", str(source))
    assert code == 0, err

    code, out, err = run("--database", docs_clinic.url, "check", "--patient", check["patient"],
                         "--drug", check["drug"], "--on", check["on"], "--json")
    assert code == 0, err
    assert json.loads(out) == check, "the `check --json` example in docs/medication-gate.md is out of date"

    code, out, err = run("--database", docs_clinic.url, "worklist", "--on", worklist_day, "--json")
    assert code == 0, err
    assert json.loads(out) == tasks, "the `worklist --json` example in docs/medication-gate.md is out of date"
    # the examples show something worth reading: a verdict with its rules, and several tasks
    assert check["verdict"] == "blocked" and check["rules"] and len(tasks) >= 2


# --- links between and within the two references ------------------------------------------

def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of a markdown text."""
    prose = _FENCED_BLOCK.sub("", markdown)
    anchors = set()
    for title in re.findall(r"^#+ +(.+?)\s*$", prose, re.M):
        slug = re.sub(r"[^\w\- ]", "", title.lower().replace("`", "")).replace(" ", "-")
        anchors.add(slug)
    return anchors


def broken_links(markdown: str, docs: dict[str, str]) -> list[str]:
    """Links `(#anchor)` or `(other.md#anchor)` whose anchor is not a heading there."""
    broken = []
    for target, anchor in re.findall(r"\]\(([\w\-]+\.md)?#([\w\-]+)\)", markdown):
        text = docs.get(target) if target else markdown
        if text is None or anchor not in heading_anchors(text):
            broken.append(f"{target}#{anchor}")
    return broken


def test_every_link_in_the_references_points_to_a_heading():
    docs = {"exchange-format.md": read_doc(EXCHANGE_DOC), "medication-gate.md": read_doc(GATE_DOC)}
    for name, text in docs.items():
        assert broken_links(text, docs) == [], name
    assert broken_links("see [drugs](exchange-format.md#drug)", docs) == ["exchange-format.md#drug"]
    assert broken_links("## Rules\n[r](#rules) [o](#output)", docs) == ["#output"]

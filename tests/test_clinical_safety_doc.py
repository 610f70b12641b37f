"""docs/clinical-safety.md, the hazard log, names only tests that exist, and every hazard names some."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "clinical-safety.md"
NAMED_TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
HAZARD = re.compile(r"^## (H-\d\d) (.+)$", re.MULTILINE)


@cache
def defined_tests(file: str) -> frozenset[str]:
    """The test functions a test module defines (at its top level or in a class), found by reading it."""
    path = ROOT / file
    if not path.is_file():
        return frozenset()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=file)
    return frozenset(node.name for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"))


def hazards() -> list[tuple[str, str, str]]:
    """Each hazard's number, title and text (up to the next heading)."""
    text = LOG.read_text(encoding="utf-8")
    found = list(HAZARD.finditer(text))
    sections = []
    for n, match in enumerate(found):
        end = found[n + 1].start() if n + 1 < len(found) else text.find("\n## ", match.end())
        sections.append((match[1], match[2], text[match.end():end if end != -1 else len(text)]))
    return sections


def test_every_test_the_hazard_log_names_exists():
    named = NAMED_TEST.findall(LOG.read_text(encoding="utf-8"))
    assert len(named) > 50
    missing = [f"{file}::{name}" for file, name in named if name not in defined_tests(file)]
    assert not missing, ("docs/clinical-safety.md names tests that do not exist (renamed or removed?): "
                         + ", ".join(missing))


def test_every_hazard_has_its_effect_causes_controls_and_tests():
    found = hazards()
    assert len(found) >= 20
    for number, title, text in found:
        for part in ("**Effect**", "**Causes**", "**Controls**", "**Tests**"):
            assert part in text, f"{number} {title}: no {part}"
        assert "Severity:" in text, f"{number} {title}: no severity"
        assert NAMED_TEST.search(text), f"{number} {title}: names no test that proves its controls"


def test_hazards_are_numbered_once_each_in_order():
    numbers = [number for number, _title, _text in hazards()]
    assert numbers == [f"H-{n:02d}" for n in range(1, len(numbers) + 1)]


def test_the_hazards_of_the_issue_are_in_the_log():
    titles = " | ".join(title.lower() for _number, title, _text in hazards())
    for words in ("wrong patient on a letter", "while she is breastfeeding", "lactation status unknown",
                  "repeat fracture", "lost", "stale data", "unauthorised access", "audit trail tampered",
                  "data entry errors"):
        assert words in titles, f"no hazard about {words!r}"

"""Referral letter templates: one editable text file per specialty in `resources/letters/`.

A template has two sections, each opened by a line of its own:

    [opening]   the paragraphs after the reason for referral (why we are writing)
    [request]   what this specialist is asked to do (under "Plan and requested actions")

Inside a section: paragraphs are separated by blank lines, a line starting with "- " is
a bullet point, and `{name}` is a placeholder filled from the letter (the names are in
`PLACEHOLDERS`).  `{{` and `}}` print a literal brace.  Lines starting with "#" are
comments for whoever edits the file.  See resources/letters/README.md.

`check_templates()` reads every template and raises TemplateError naming the file and
the fault (an unknown placeholder, a missing section, a stray brace): the app and the
command line call it at start, so a broken template fails loudly then, not in front of
a nurse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources as _resources

from pao_clinic.errors import PaoClinicError
from pao_clinic.record.codes import SPECIALTIES

RESOURCE_PACKAGE = "resources"
TEMPLATE_FOLDER = "letters"
NOT_RECORDED = "not recorded"

# Every placeholder a template may use, with what it becomes.
PLACEHOLDERS: dict[str, str] = {
    "patient_name": "her name as she is addressed: Łucja Wiśniewska-O'Brien",
    "patient_given_name": "her given name",
    "patient_age": "her age in years today",
    "recipient_name": "who the letter is addressed to (the GP's name, or the department)",
    "specialty_name": "the specialty referred to, in words: Physiotherapy",
    "urgency": "urgent or routine",
    "reason": "the reason for referral as written on the referral",
    "index_date": "the date her first fragility fracture was identified",
    "fracture_summary": "her fragility fractures in one line: L1 grade 2 on 10-May-2025, ...",
    "vertebral_fracture_count": "how many vertebral levels fractured at presentation",
    "presentation_timing": "where her first fracture fell in her pregnancies: 6 weeks after the delivery of "
                           "03-Feb-2026, at 32 weeks of her second pregnancy, before any delivery",
    "latest_delivery_date": "the date of her most recent delivery",
    "baby_age": "how old her youngest baby is today, in weeks or months",
    "lactation_status": "breastfeeding today, with dates",
    "lowest_z_score": "the lowest Z-score of her latest DEXA scan, with its reading for her age",
    "latest_epds": "her latest EPDS score with its date",
    "epds_self_harm_item": "her latest EPDS item 10 (thoughts of self-harm) score",
    "current_osteoporosis_medication": "osteoporosis medicines she takes today",
    "calcium_vitamin_d": "calcium and vitamin D supplements, with dates",
    "latest_vitamin_d": "her latest 25-OH vitamin D result with its date",
    "latest_adjusted_calcium": "her latest adjusted calcium result with its date",
    "author_name": "the author's display name",
    "author_role": "the author's role",
    "clinic_name": "the clinic's name from the letterhead",
}

# Placeholders no longer known, with what to write instead (a template still using one fails at start).
RETIRED_PLACEHOLDERS: dict[str, str] = {
    "weeks_postpartum_at_presentation": (
        "{presentation_timing}, which reads true whenever she presented (\"6 weeks after the delivery of "
        "03-Feb-2026\", \"at 32 weeks of her second pregnancy\"); write \"{index_date}, {presentation_timing}\" "
        "without \"after delivery\""),
}

SECTIONS: tuple[str, ...] = ("opening", "request")

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_SECTION_LINE = re.compile(r"^\[([a-z_]+)\]\s*$")


class TemplateError(PaoClinicError):
    """A letter template that cannot be used; the message names the file and the fault."""


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph or bullet point of a template section (text with placeholders)."""

    kind: str   # "paragraph" or "bullet"
    text: str


@dataclass(frozen=True, slots=True)
class LetterTemplate:
    specialty: str
    file_name: str
    sections: dict[str, tuple[Block, ...]]

    def placeholders(self) -> frozenset[str]:
        return frozenset(name for blocks in self.sections.values() for b in blocks
                         for name in _placeholders_in(b.text, self.file_name))

    def render(self, section: str, values: dict[str, str | None]) -> tuple[Block, ...]:
        """The section with every placeholder filled; a value None prints as "not recorded"."""
        return tuple(Block(b.kind, fill(b.text, values, self.file_name)) for b in self.sections[section])


def _placeholders_in(text: str, file_name: str) -> list[str]:
    names = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise TemplateError(f"letter template {file_name}: a stray '{token}' in \"{text}\" "
                                "(write {{ or }} for a literal brace)")
        names.append(match.group(1))
    return names


def fill(text: str, values: dict[str, str | None], file_name: str = "template") -> str:
    """`text` with each `{name}` replaced by its value ("not recorded" when None or empty)."""
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name is None:
            raise TemplateError(f"letter template {file_name}: a stray '{token}' in \"{text}\"")
        if name not in PLACEHOLDERS:
            raise TemplateError(f"letter template {file_name}: unknown placeholder {{{name}}}")
        value = values.get(name)
        return value if value not in (None, "") else NOT_RECORDED
    return _TOKEN.sub(replace, text)


def parse_template(specialty: str, text: str, file_name: str) -> LetterTemplate:
    """Read one template's text; TemplateError naming the file and what is wrong."""
    sections: dict[str, list[Block]] = {}
    current: list[Block] | None = None
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            current.append(Block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            continue
        section = _SECTION_LINE.match(line)
        if section:
            name = section.group(1)
            if name not in SECTIONS:
                raise TemplateError(f"letter template {file_name}, line {number}: unknown section [{name}]; "
                                    f"use {', '.join(f'[{s}]' for s in SECTIONS)}")
            if name in sections:
                raise TemplateError(f"letter template {file_name}, line {number}: section [{name}] appears twice")
            if current is not None:
                end_paragraph()
            current = sections[name] = []
            continue
        if not line:
            if current is not None:
                end_paragraph()
            continue
        if current is None:
            raise TemplateError(f"letter template {file_name}, line {number}: text before the first section "
                                "(start with [opening])")
        if line.startswith("- "):
            end_paragraph()
            current.append(Block("bullet", line[2:].strip()))
        elif current and current[-1].kind == "bullet" and not paragraph and raw[:1].isspace():
            # an indented line continues the bullet above
            current[-1] = Block("bullet", current[-1].text + " " + line)
        else:
            paragraph.append(line)
    if current is not None:
        end_paragraph()

    for name in SECTIONS:
        if not sections.get(name):
            raise TemplateError(f"letter template {file_name}: the section [{name}] is missing or empty")
    template = LetterTemplate(specialty=specialty, file_name=file_name,
                              sections={k: tuple(v) for k, v in sections.items()})
    unknown = sorted(template.placeholders() - set(PLACEHOLDERS))
    for name in unknown:
        if name in RETIRED_PLACEHOLDERS:
            raise TemplateError(f"letter template {file_name}: the placeholder {{{name}}} is no longer used; "
                                f"write {RETIRED_PLACEHOLDERS[name]}")
    if unknown:
        names = ", ".join("{" + n + "}" for n in unknown)
        raise TemplateError(f"letter template {file_name}: unknown placeholder{'s' if len(unknown) > 1 else ''} "
                            f"{names}; known placeholders are listed in resources/letters/README.md")
    return template


def template_file_name(specialty: str) -> str:
    return f"{TEMPLATE_FOLDER}/{specialty}.txt"


def load_template(specialty: str) -> LetterTemplate:
    """The template for one specialty code (codes.SPECIALTIES)."""
    if specialty not in SPECIALTIES:
        raise TemplateError(f"'{specialty}' is not a specialty; use one of {', '.join(SPECIALTIES)}")
    name = template_file_name(specialty)
    source = _resources.files(RESOURCE_PACKAGE).joinpath(TEMPLATE_FOLDER, f"{specialty}.txt")
    if not source.is_file():
        raise TemplateError(f"letter template {name} is missing")
    return parse_template(specialty, source.read_text(encoding="utf-8"), name)


def check_templates() -> dict[str, LetterTemplate]:
    """Read and check the template of every specialty; TemplateError on the first fault."""
    return {specialty: load_template(specialty) for specialty in SPECIALTIES}

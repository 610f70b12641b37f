"""The README's examples stay true: its demo patient is in the demo caseload it builds."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pao_clinic.demo import demo_caseload
from pao_clinic.record.nhs_number import format_nhs_number

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_readme_example_patient_is_in_the_demo_caseload_it_makes():
    count, seed = map(int, re.search(r"pao-clinic demo --patients (\d+) --seed (\d+)", README).groups())
    named = re.search(r"`(\d{3} \d{3} \d{4})` is (\S+) (\S+) in that demo caseload \(hospital number `(\w+)`\)", README)
    assert named, "the README names its example patient"
    nhs, given, family, hospital = named.groups()
    # NHS numbers and names depend on the seed only, whatever day the demo is built on
    for today in (date.today(), date(2031, 1, 1)):
        patients = {format_nhs_number(p.nhs_number): p for p in demo_caseload(count, seed=seed, today=today)
                    if p.nhs_number}
        assert nhs in patients
        assert (patients[nhs].given_name, patients[nhs].family_name, patients[nhs].hospital_number) == \
            (given, family, hospital)
    for used in re.findall(r'--patient "([\d ]+)"', README) + re.findall(r"--patient (PAO\d+)", README):
        assert used in (nhs, hospital), used


def test_every_command_the_readme_lists_exists():
    from pao_clinic.cli import build_parser

    commands = set(build_parser()._subparsers._group_actions[0].choices)
    commands.add("screenshots")  # the launcher's own (it needs Qt, which the core CLI never imports)
    listed = set(re.findall(r"^pao-clinic (\w+)", README, re.M))
    assert listed and listed <= commands, listed - commands
    assert commands <= listed | {"user"}, commands - listed

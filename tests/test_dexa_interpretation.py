"""DEXA read for premenopausal women: by Z-score, with serial change against the LSC."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.errors import ValidationError
from pao_clinic.gate import (
    BELOW_EXPECTED_RANGE,
    WITHIN_EXPECTED_RANGE,
    interpret_dexa_history,
    interpret_scan,
    least_significant_change,
)
from tests.gate_builders import D, breastfed, birth, days, scan, well_documented_record


@pytest.mark.parametrize("z, classification", [
    (-2.0, BELOW_EXPECTED_RANGE), (-2.1, BELOW_EXPECTED_RANGE), (-1.9, WITHIN_EXPECTED_RANGE), (0.5, WITHIN_EXPECTED_RANGE),
])
def test_classified_by_z_score(z, classification):
    reading = interpret_scan(scan("lumbar_spine", D, z=z, t=-3.0))
    assert reading.classification == classification
    assert reading.below_expected_range is (classification == BELOW_EXPECTED_RANGE)


def test_the_z_threshold_is_a_setting():
    settings = replace(DEFAULT_SETTINGS, low_z_score=-1.5)
    assert interpret_scan(scan("total_hip", D, z=-1.6), settings=settings).classification == BELOW_EXPECTED_RANGE


def test_a_t_score_alone_is_never_classified():
    reading = interpret_scan(scan("lumbar_spine", D, t=-3.5))
    assert reading.classification is None and reading.below_expected_range is None
    assert "cannot be classified" in reading.summary
    assert "T-score -3.5 (for reference only)" in reading.summary


@pytest.mark.parametrize("z, t", [(-2.6, -3.5), (0.1, -2.6), (None, -4.0), (-1.0, None), (-3.0, 1.0)])
def test_never_says_osteoporosis_or_osteopenia(z, t):
    reading = interpret_scan(scan("femoral_neck", D, z=z, t=t, bmd=0.6), scan("femoral_neck", D - days(400), z=z, t=t, bmd=0.7))
    text = reading.summary.lower()
    assert "osteopor" not in text and "osteopen" not in text


def test_least_significant_change_per_site():
    assert least_significant_change("lumbar_spine") == 5.3
    assert least_significant_change("total_hip") == 5.0
    assert least_significant_change("femoral_neck") == 6.9
    assert least_significant_change("forearm") is None


@pytest.mark.parametrize("site, before, after, significant", [
    ("lumbar_spine", 1.000, 1.053, False),    # exactly 5.3 %: not beyond it
    ("lumbar_spine", 1.000, 1.054, True),
    ("lumbar_spine", 1.000, 0.947, False),
    ("lumbar_spine", 1.000, 0.946, True),
    ("total_hip", 0.800, 0.840, False),       # 5.0 %
    ("total_hip", 0.800, 0.841, True),
    ("femoral_neck", 1.000, 1.069, False),    # 6.9 %
    ("femoral_neck", 1.000, 1.070, True),
    ("forearm", 0.500, 0.700, False),         # no LSC: never significant
])
def test_serial_change_is_significant_only_beyond_the_lsc(site, before, after, significant):
    reading = interpret_scan(scan(site, D, z=-1.0, bmd=after), scan(site, D - days(365), z=-1.0, bmd=before))
    assert reading.change is not None
    assert reading.significant_change is significant
    assert reading.change.significant is significant


def test_change_words():
    down = interpret_scan(scan("lumbar_spine", D, z=-2.4, bmd=0.90), scan("lumbar_spine", D - days(365), bmd=1.0, z=-1.9))
    assert down.change.percent == -10.0 and down.change.direction == "down"
    assert "down 10.0 %" in down.summary and "beyond the least significant change of 5.3 %" in down.summary
    small = interpret_scan(scan("total_hip", D, z=-1.0, bmd=1.02), scan("total_hip", D - days(365), z=-1.0, bmd=1.0))
    assert "up 2.0 %" in small.summary and "not a significant change" in small.summary


def test_forearm_says_it_cannot_be_called_significant():
    reading = interpret_scan(scan("forearm", D, z=-1.0, bmd=0.4), scan("forearm", D - days(365), z=-1.0, bmd=0.5))
    assert reading.change.least_significant_change is None
    assert "no least significant change is set for the forearm" in reading.summary


def test_no_change_without_bmd_or_previous():
    assert interpret_scan(scan("lumbar_spine", D, z=-1.0)).change is None
    assert interpret_scan(scan("lumbar_spine", D, z=-1.0, bmd=1.0), scan("lumbar_spine", D - days(1), z=-1.0)).change is None


def test_previous_must_be_an_earlier_scan_of_the_same_site():
    with pytest.raises(ValidationError):
        interpret_scan(scan("lumbar_spine", D, bmd=1.0, z=0), scan("total_hip", D - days(10), bmd=1.0, z=0))
    with pytest.raises(ValidationError):
        interpret_scan(scan("lumbar_spine", D, bmd=1.0, z=0), scan("lumbar_spine", D, bmd=1.0, z=0))


def test_history_compares_each_scan_with_the_previous_of_the_same_site():
    record = well_documented_record(
        pregnancies=(birth("b1", D - days(500)),),
        breastfeeding=(breastfed("b1", D - days(500), stopped_on=D - days(300)),),
        dexa=(
            scan("lumbar_spine", D - days(400), z=-2.6, t=-2.9, bmd=0.800),
            scan("total_hip", D - days(400), z=-1.8, bmd=0.750),
            scan("lumbar_spine", D - days(10), z=-2.0, bmd=0.860),
            scan("forearm", D - days(10), z=-1.0, bmd=0.500),
            scan("lumbar_spine", D + days(10), z=-1.0, bmd=0.950),   # after D: not there
        ))
    history = interpret_dexa_history(record, D)
    assert [(s.site, s.scanned_on) for s in history.scans] == [
        ("lumbar_spine", D - days(400)), ("total_hip", D - days(400)),
        ("lumbar_spine", D - days(10)), ("forearm", D - days(10))]
    first, _, spine, forearm = history.scans
    assert first.change is None and first.while_breastfeeding is True
    assert spine.change.previous_scanned_on == D - days(400)
    assert spine.change.percent == 7.5 and spine.significant_change
    assert spine.while_breastfeeding is False
    assert forearm.change is None
    assert [s.site for s in history.latest] == ["lumbar_spine", "forearm"]
    assert history.lowest_z == -2.0
    assert history.classification == BELOW_EXPECTED_RANGE


def test_history_without_scans():
    history = interpret_dexa_history(well_documented_record(), D)
    assert history.scans == () and history.lowest_z is None and history.classification is None

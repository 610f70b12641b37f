"""DEXA interpretation for premenopausal women.

A premenopausal woman's bone density is judged by its Z-score (against women of her
age): "within the expected range for age", or "below the expected range for age" at
Z <= settings.low_z_score (-2.0).  A T-score compares her with young adults and is
shown only as a secondary number: it never labels her as having osteoporosis.

Serial scans: the change in BMD (%) against the previous scan of the same site is
significant only beyond the least significant change for that site (settings: lumbar
spine 5.3 %, total hip 5.0 %, femoral neck 6.9 %).  The forearm has none, so a
forearm change is never called significant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from pao_clinic.record import codes
from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.errors import Problem, ValidationError
from pao_clinic.gate.facts import (
    dexa_scans_on,
    dexa_site_name,
    is_breastfeeding_on,
    written_date,
    written_number,
)
from pao_clinic.record import DexaScan, PatientRecord

WITHIN_EXPECTED_RANGE = "within the expected range for age"
BELOW_EXPECTED_RANGE = "below the expected range for age"
_SITE_ORDER = {site: n for n, site in enumerate(codes.DEXA_SITES)}


def least_significant_change(site: str, settings: ClinicSettings = DEFAULT_SETTINGS) -> float | None:
    """The least significant change in BMD (%) for a DEXA site; None for the forearm."""
    return {
        "lumbar_spine": settings.lsc_lumbar_spine_percent,
        "total_hip": settings.lsc_total_hip_percent,
        "femoral_neck": settings.lsc_femoral_neck_percent,
    }.get(site)


def classify_z_score(z_score: float | None, settings: ClinicSettings = DEFAULT_SETTINGS) -> str | None:
    """'within / below the expected range for age'; None without a Z-score."""
    if z_score is None:
        return None
    return BELOW_EXPECTED_RANGE if z_score <= settings.low_z_score else WITHIN_EXPECTED_RANGE


@dataclass(frozen=True, slots=True)
class BmdChange:
    """The change in BMD at one site since the previous scan of that site."""

    previous_scanned_on: date
    previous_bmd: float
    percent: float                        # rounded to 2 decimals
    least_significant_change: float | None  # None: no LSC for this site (forearm)
    significant: bool

    @property
    def direction(self) -> str:
        if self.percent > 0:
            return "up"
        return "down" if self.percent < 0 else "unchanged"

    def describe(self, site: str) -> str:
        amount = "unchanged" if self.direction == "unchanged" else f"{self.direction} {written_number(abs(self.percent))} %"
        text = f"BMD {amount} since {written_date(self.previous_scanned_on)}"
        if self.least_significant_change is None:
            return (f"{text}; no least significant change is set for the {dexa_site_name(site)}, "
                    "so this change cannot be called significant")
        lsc = written_number(self.least_significant_change)
        if self.significant:
            return f"{text}, beyond the least significant change of {lsc} %: a real change"
        return f"{text}, within the least significant change of {lsc} %: not a significant change"


@dataclass(frozen=True, slots=True)
class ScanInterpretation:
    """One DEXA site on one day, read for a premenopausal woman."""

    site: str
    scanned_on: date
    bmd: float | None
    z_score: float | None
    t_score: float | None
    classification: str | None          # WITHIN_EXPECTED_RANGE / BELOW_EXPECTED_RANGE / None (no Z-score)
    change: BmdChange | None            # None: first scan of this site, or a BMD missing
    while_breastfeeding: bool | None = None  # known only when read from her record

    @property
    def below_expected_range(self) -> bool | None:
        return None if self.classification is None else self.classification == BELOW_EXPECTED_RANGE

    @property
    def significant_change(self) -> bool:
        return self.change is not None and self.change.significant

    @property
    def summary(self) -> str:
        parts = [f"{dexa_site_name(self.site).capitalize()} {written_date(self.scanned_on)}:"]
        if self.z_score is not None:
            parts.append(f"Z-score {written_number(self.z_score)}, {self.classification}.")
        else:
            parts.append("no Z-score, so it cannot be classified (a T-score alone does not describe "
                         "a premenopausal woman).")
        if self.t_score is not None:
            parts.append(f"T-score {written_number(self.t_score)} (for reference only).")
        if self.bmd is not None:
            parts.append(f"BMD {self.bmd:.3f} g/cm\u00b2.")
        if self.change is not None:
            parts.append(self.change.describe(self.site) + ".")
        if self.while_breastfeeding:
            parts.append("Scanned while breastfeeding: bone density lost in lactation usually recovers after weaning.")
        return " ".join(parts)


def bmd_change(scan: DexaScan, previous: DexaScan, settings: ClinicSettings = DEFAULT_SETTINGS) -> BmdChange | None:
    """The change since `previous` (same site, earlier); None when either BMD is missing."""
    if previous.site != scan.site:
        raise ValidationError(Problem("previous", f"is a {previous.site} scan, not {scan.site}"))
    if previous.scanned_on >= scan.scanned_on:
        raise ValidationError(Problem("previous", "must be scanned before the scan it is compared with"))
    if scan.bmd is None or previous.bmd is None or previous.bmd == 0:
        return None
    exact = round((scan.bmd - previous.bmd) / previous.bmd * 100, 6)
    lsc = least_significant_change(scan.site, settings)
    return BmdChange(
        previous_scanned_on=previous.scanned_on,
        previous_bmd=previous.bmd,
        percent=round(exact, 2),
        least_significant_change=lsc,
        significant=lsc is not None and abs(exact) > lsc,
    )


def interpret_scan(
    scan: DexaScan, previous: DexaScan | None = None, settings: ClinicSettings = DEFAULT_SETTINGS
) -> ScanInterpretation:
    """Read one scan by its Z-score, and its BMD against the previous scan of that site."""
    return ScanInterpretation(
        site=scan.site,
        scanned_on=scan.scanned_on,
        bmd=scan.bmd,
        z_score=scan.z_score,
        t_score=scan.t_score,
        classification=classify_z_score(scan.z_score, settings),
        change=None if previous is None else bmd_change(scan, previous, settings),
    )


@dataclass(frozen=True, slots=True)
class DexaHistory:
    """Every scan on or before D, oldest first, each read against the one before it."""

    on: date
    scans: tuple[ScanInterpretation, ...]
    lowest_z: float | None        # of the latest DEXA, as the gate takes it
    classification: str | None    # the latest DEXA read by its lowest Z-score

    @property
    def latest(self) -> tuple[ScanInterpretation, ...]:
        if not self.scans:
            return ()
        last = self.scans[-1].scanned_on
        return tuple(s for s in self.scans if s.scanned_on == last)


def interpret_dexa_history(
    record: PatientRecord, d: date, settings: ClinicSettings = DEFAULT_SETTINGS
) -> DexaHistory:
    """Her scans on or before D; each compared with the latest earlier scan of the same site."""
    read: list[ScanInterpretation] = []
    latest_by_site: dict[str, DexaScan] = {}
    scans = dexa_scans_on(record, d)
    for day in sorted({s.scanned_on for s in scans}):
        todays = sorted((s for s in scans if s.scanned_on == day), key=lambda s: _SITE_ORDER.get(s.site, 99))
        feeding = is_breastfeeding_on(record, day)
        for scan in todays:
            reading = interpret_scan(scan, latest_by_site.get(scan.site), settings)
            read.append(replace(reading, while_breastfeeding=feeding))
        for scan in todays:
            latest_by_site[scan.site] = scan
    latest = tuple(r for r in read if read and r.scanned_on == read[-1].scanned_on)
    lowest = min((r.z_score for r in latest if r.z_score is not None), default=None)
    return DexaHistory(on=d, scans=tuple(read), lowest_z=lowest, classification=classify_z_score(lowest, settings))

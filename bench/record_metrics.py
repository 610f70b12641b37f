"""One woman's record: open_record, gate_check, open_record_draw (offscreen Qt) and letter_pdf."""

from __future__ import annotations

import io
import os
import statistics
import time

from bench.clinics import BenchClinic
from bench.results import Result, median_of, not_measured, result, timed

GATE_DRUG = "alendronate"
LETTERS = 100


def _raw_record_rows(patient_id: int) -> list:
    """Her rows the plainest way: one SELECT per table she has rows in, and the clinic's settings."""
    from pao_clinic.services.snapshots import CLINICAL_LISTS
    from pao_clinic.storage.connection import database
    from pao_clinic.storage.models import PatientHistory, PatientRiskFactor

    mark = database.obj.param
    out = [database.execute_sql(f'SELECT * FROM "patient" WHERE id = {mark}', (patient_id,)).fetchall()]
    for model in (PatientRiskFactor, PatientHistory, *(c.model for c in CLINICAL_LISTS)):
        out.append(database.execute_sql(f'SELECT * FROM "{model._meta.table_name}" WHERE patient_id = {mark}',
                                        (patient_id,)).fetchall())
    out.append(database.execute_sql('SELECT * FROM "clinic_setting"').fetchall())
    return out


def measure_open_record(clinic: BenchClinic) -> list[Result]:
    from pao_clinic.services import patient_view

    run = median_of(lambda: patient_view(clinic.heavy_id, clinic.today), 5)
    floor = median_of(lambda: _raw_record_rows(clinic.heavy_id), 5, count_queries=False)
    return [result("open_record", clinic.backend, clinic.size, run.seconds * 1000, floor=floor.seconds * 1000,
                   queries=run.queries, note="median of 5")]


def measure_gate_check(clinic: BenchClinic) -> list[Result]:
    from pao_clinic.gate import check_medication
    from pao_clinic.services import clinic_settings, load_patient_record

    record = load_patient_record(clinic.heavy_id)
    settings = clinic_settings()
    run = median_of(lambda: check_medication(record, GATE_DRUG, clinic.today, settings=settings), 50,
                    count_queries=False)
    return [result("gate_check", clinic.backend, clinic.size, run.seconds * 1000, queries=0,
                   verdict=run.value.verdict, note="median of 50, on the heavy record's snapshot")]


def qt_application():
    """The offscreen QApplication of this process (None with the reason when Qt cannot start)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        return None, f"PySide6 cannot be imported ({exc})"
    return QApplication.instance() or QApplication(["pao-bench"]), None


def _draw_once(view) -> float:
    from PySide6.QtWidgets import QApplication
    from ui.fractures_section import FracturesSection
    from ui.timeline_section import TimelineSection

    sections = [TimelineSection(), FracturesSection()]
    for section in sections:
        section.resize(1280, 720)
    QApplication.processEvents()
    start = time.perf_counter()
    for section in sections:
        section.show_view(view)
        section.grab()  # lays out and paints the whole section into a pixmap
    seconds = time.perf_counter() - start
    for section in sections:
        section.deleteLater()
    QApplication.processEvents()
    return seconds


def measure_open_record_draw(clinic: BenchClinic) -> list[Result]:
    app, reason = qt_application()
    if app is None:
        return [not_measured("open_record_draw", clinic.backend, clinic.size, reason)]
    from pao_clinic.services import patient_view

    view = patient_view(clinic.heavy_id, clinic.today)
    runs = [_draw_once(view) for _ in range(5)]
    return [result("open_record_draw", clinic.backend, clinic.size, statistics.median(runs) * 1000,
                   note="median of 5: show_view and grab() of a new TimelineSection and FracturesSection")]


def _typed_date(today) -> str:
    """A date a nurse types into a form, in the clinic's way ("12-Apr-2025"): a month before `today`."""
    from datetime import timedelta

    from pao_clinic.record.dates import written_date

    return written_date(today - timedelta(days=30))


def measure_form_keystroke(clinic: BenchClinic) -> list[Result]:
    """A new fracture's form on the heavy woman's record: her identified-on date typed one key at a time.

    Each key runs the core's validation against her record (40 fractures, 20 scans, 20
    referrals) and shows its messages; the slowest key is the result.
    """
    app, reason = qt_application()
    if app is None:
        return [not_measured("form_keystroke", clinic.backend, clinic.size, reason)]
    from PySide6.QtWidgets import QApplication, QLineEdit
    from pao_clinic.services import patient_view
    from ui.entry_forms import open_entry_form

    view = patient_view(clinic.heavy_id, clinic.today)
    typed = _typed_date(clinic.today)
    slowest = []
    for _ in range(3):
        form = open_entry_form(clinic.nurse, "fractures", record=view.record, today=view.on)
        form.show()
        QApplication.processEvents()
        edit = next(w for w in form.inputs["identified_on"].focus if isinstance(w, QLineEdit))
        keys = []
        for ch in typed:
            start = time.perf_counter()
            edit.insert(ch)          # textChanged -> the form's validation, as a key press does
            QApplication.processEvents()
            keys.append(time.perf_counter() - start)
        problem = form.problem_at("identified_on")
        form.close()
        form.deleteLater()
        QApplication.processEvents()
        slowest.append(max(keys))
    return [result("form_keystroke", clinic.backend, clinic.size, statistics.median(slowest) * 1000, queries=None,
                   typed=typed, note=f"median of 3 forms of the slowest key typing {typed!r} into a new fracture's "
                                     f"identified-on date on the heavy record"
                                     + (f" (left showing: {problem})" if problem else ""))]


def _referrals(count: int) -> list[tuple[int, int]]:
    """(patient id, referral id) of `count` referrals: each woman's first, then her others if too few."""
    from pao_clinic.services.snapshots import load_patient_records

    records = [r for r in load_patient_records(lists=["referrals"]) if r.referrals]
    pairs = [(r.id, r.referrals[0].id) for r in records]
    pairs += [(r.id, referral.id) for r in records for referral in r.referrals[1:]]
    return pairs[:count]


def _plain_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(
        [Paragraph("Dear colleague, thank you for seeing this patient, who has pregnancy-associated "
                   "osteoporosis with vertebral fractures.", getSampleStyleSheet()["Normal"])])
    return out.getvalue()


def measure_letters(clinic: BenchClinic, *, hundred: bool) -> list[Result]:
    from pao_clinic.services import draft_letter

    pairs = _referrals(LETTERS)
    if not pairs:
        return [not_measured("letter_pdf", clinic.backend, clinic.size, "no demo woman has a referral",
                             case="one letter")]
    patient_id, referral_id = pairs[0]
    one = median_of(lambda: draft_letter(clinic.nurse, patient_id, referral_id, today=clinic.today), 3)
    plain = median_of(_plain_pdf, 3, count_queries=False)
    results = [result("letter_pdf", clinic.backend, clinic.size, one.seconds * 1000, case="one letter",
                      floor=plain.seconds * 1000, queries=one.queries, note="median of 3, the first woman's first referral")]
    if hundred:
        if len(pairs) < LETTERS:
            results.append(not_measured("letter_pdf", clinic.backend, clinic.size,
                                        f"only {len(pairs)} referrals in the caseload", case="100 letters"))
        else:
            many = timed(lambda: [draft_letter(clinic.nurse, p, r, today=clinic.today) for p, r in pairs])
            plain_many = timed(lambda: [_plain_pdf() for _ in pairs], count_queries=False)
            results.append(result("letter_pdf", clinic.backend, clinic.size, many.seconds, case="100 letters",
                                  floor=plain_many.seconds, queries=many.queries,
                                  note=f"{len({p for p, _ in pairs})} women"))
    return results

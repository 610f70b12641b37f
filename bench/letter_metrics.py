"""letter_pdf: one referral letter, and 100 letters of 100 women, each beside its floor made in the same run.

    measure_letters(clinic, hundred=True)     the bench's two results (bench/__main__.py)
    python -m bench.letter_metrics            both backends on a small demo caseload, printed as a table
    python -m bench.letter_metrics --patients 300 --backends sqlite

One letter is `services.draft_letter` (her record read, the letter laid out and rendered
to PDF bytes, what it lacks listed), as the letters view makes it; 100 letters are
`services.draft_letters` (the clinic's settings read once, the records fifty women at a
time), as batch printing and `pao-clinic letters --due` make them, with the same 100
made one `draft_letter` at a time in `extra` (`one_by_one_s`, `one_by_one_queries`).  The floor is a one-paragraph reportlab document in reportlab's
own Helvetica (SimpleDocTemplate, one Paragraph), made in the same process in the same
run, so a slow machine moves both.  The statements each letter runs are counted
(`counting_queries`): on PostgreSQL every one is a round trip.

Each result's `extra` says where a letter's time goes: `read_ms` (her record and the
clinic's settings), `render_ms` (the PDF alone), and `heavy_ms` (the heavy woman's
first referral: 40 fractures, 20 scans, 20 referrals; several pages).
"""

from __future__ import annotations

import argparse
import io
import sys
from datetime import date

from bench.clinics import BACKENDS, BenchClinic, Databases, finish_clinic, heavy_record, open_new_clinic
from bench.results import Result, median_of, not_measured, result, table, timed

LETTERS = 100
FLOOR_TEXT = ("Dear colleague, thank you for seeing this patient, who has pregnancy-associated "
              "osteoporosis with vertebral fractures.")


def one_paragraph_pdf() -> bytes:
    """The floor: a one-paragraph reportlab document (A4, reportlab's sample Normal style)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build([Paragraph(FLOOR_TEXT, getSampleStyleSheet()["Normal"])])
    return out.getvalue()


def referrals_to_draft(count: int, *, skip: set[int] = frozenset()) -> list[tuple[int, int]]:
    """(patient id, referral id) of `count` referrals: each woman's first (so 100 letters are 100 women), then
    her others if there are too few women with one.  Women in `skip` (the heavy one) are left out."""
    from pao_clinic.services.snapshots import load_patient_records

    records = [r for r in load_patient_records(lists=["referrals"]) if r.referrals and r.id not in skip]
    pairs = [(r.id, r.referrals[0].id) for r in records]
    pairs += [(r.id, referral.id) for r in records for referral in r.referrals[1:]]
    return pairs[:count]


def _split(clinic: BenchClinic, patient_id: int, referral_id: int) -> tuple[float, float]:
    """Milliseconds reading her letter's content (database) and rendering it (PDF), medians of 3."""
    from pao_clinic.letters import render_letter_pdf
    from pao_clinic.services.letters import letter_content

    read = median_of(lambda: letter_content(clinic.nurse, patient_id, referral_id, today=clinic.today), 3)
    content = read.value
    render = median_of(lambda: render_letter_pdf(content, draft=True), 3, count_queries=False)
    return read.seconds * 1000, render.seconds * 1000


def measure_letters(clinic: BenchClinic, *, hundred: bool) -> list[Result]:
    """`letter_pdf (one letter)` and, when `hundred`, `letter_pdf (100 letters)`, each with its floor."""
    from pao_clinic.services.letters import DueLetter, draft_letter, draft_letters

    skip = {clinic.heavy_id} if clinic.heavy_id is not None else set()
    pairs = referrals_to_draft(LETTERS, skip=skip)
    if not pairs:
        return [not_measured("letter_pdf", clinic.backend, clinic.size, "no demo woman has a referral",
                             case="one letter")]
    one_paragraph_pdf()   # reportlab's own imports and fonts loaded before either is timed
    patient_id, referral_id = pairs[0]
    draft_letter(clinic.nurse, patient_id, referral_id, today=clinic.today)   # the fonts registered, once a process
    one = median_of(lambda: draft_letter(clinic.nurse, patient_id, referral_id, today=clinic.today), 5)
    floor = median_of(one_paragraph_pdf, 5, count_queries=False)
    read_ms, render_ms = _split(clinic, patient_id, referral_id)
    extra = {"read_ms": round(read_ms, 2), "render_ms": round(render_ms, 2)}
    if clinic.heavy_id is not None:
        from pao_clinic.services.snapshots import load_patient_record

        heavy_referrals = load_patient_record(clinic.heavy_id).referrals
        if heavy_referrals:
            heavy = median_of(lambda: draft_letter(clinic.nurse, clinic.heavy_id, heavy_referrals[0].id,
                                                   today=clinic.today), 3, count_queries=False)
            extra["heavy_ms"] = round(heavy.seconds * 1000, 2)
            extra["heavy_pages"] = heavy.value[0].count(b"/Type /Page\n") or None
    results = [result("letter_pdf", clinic.backend, clinic.size, one.seconds * 1000, case="one letter",
                      floor=floor.seconds * 1000, queries=one.queries,
                      note="median of 5, the first woman's first referral", **extra)]
    if hundred:
        if len(pairs) < LETTERS:
            results.append(not_measured("letter_pdf", clinic.backend, clinic.size,
                                        f"only {len(pairs)} referrals in the caseload", case="100 letters"))
        else:
            due = [DueLetter(p, r, "", "", "") for p, r in pairs]
            many = timed(lambda: list(draft_letters(clinic.nurse, due, today=clinic.today)))
            one_by_one = timed(lambda: [draft_letter(clinic.nurse, p, r, today=clinic.today) for p, r in pairs])
            floor_many = timed(lambda: [one_paragraph_pdf() for _ in pairs], count_queries=False)
            results.append(result("letter_pdf", clinic.backend, clinic.size, many.seconds, case="100 letters",
                                  floor=floor_many.seconds, queries=many.queries,
                                  note=f"{len({p for p, _ in pairs})} women, services.draft_letters (as letters "
                                       "--due and batch printing make them)",
                                  one_by_one_s=round(one_by_one.seconds, 3), one_by_one_queries=one_by_one.queries))
    return results


def run(patients: int, backends: tuple[str, ...], databases: Databases | None = None) -> list[Result]:
    """letter_pdf on a demo caseload of `patients` (plus the heavy woman) on each backend."""
    from pao_clinic.demo import demo_caseload
    from pao_clinic.services import import_records
    from pao_clinic.storage.connection import close_database

    today = date.today()
    records = demo_caseload(patients + 1, seed=1, today=today)
    heavy = heavy_record(records[-1], records[:-1], today)
    records = records[:-1]
    results: list[Result] = []
    with databases or Databases() as databases:
        for backend in backends:
            reason = databases.postgres_reason() if backend == "postgresql" else None
            if reason:
                results += [not_measured("letter_pdf", backend, patients, reason, case=c)
                            for c in ("one letter", "100 letters")]
                continue
            clinic = open_new_clinic(databases, backend, patients, today, tag="letters")
            try:
                import_records(clinic.nurse, records)
                finish_clinic(clinic, heavy)
                results += measure_letters(clinic, hundred=True)
            finally:
                close_database()
                databases.drop(backend, clinic.name)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.letter_metrics", description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200, help="demo patients (enough for 100 referrals)")
    parser.add_argument("--backends", type=lambda text: tuple(text.split(",")), default=BACKENDS)
    args = parser.parse_args(argv)
    results = run(args.patients, args.backends)
    print(table(results))
    for r in results:
        if r.extra:
            print(f"  {r.metric} ({r.case}), {r.backend}: " + ", ".join(f"{k} {v}" for k, v in r.extra.items()))
    return 1 if any(r.met is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Every target of `make bench` in one table (issue 10, and the letters' and record window's issues).

A target is read from the column for the caseload size: the 10,000 column holds for
every size up to 10,000, the 100,000 column above that.  `None` in a column means the
issue sets no target there (the value is still measured and printed).

`better` says which way is good: "lower" for times, memory and query counts, "higher"
for rates (patients per second).  A ratio always reads "times the floor's cost": time
divided by the floor's time, or the floor's rate divided by the rate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    metric: str
    case: str | None        # which measurement of the metric ("--help", "100 letters", ...)
    unit: str
    better: str             # "lower" or "higher"
    at_10k: float | None    # the target at 10,000 patients (and every smaller caseload)
    at_100k: float | None   # the target at 100,000 patients
    max_floor_ratio: float | None = None  # a target on the ratio to the floor as well
    max_queries: int | None = None        # a target on the statements run as well
    what: str = ""          # the measurement, in words
    floor: str = ""         # the floor, in words ("" when the metric has none)

    def limit_at(self, size: int | None) -> float | None:
        if size is None or size <= 10_000:
            return self.at_10k
        return self.at_100k


TARGETS: tuple[Target, ...] = (
    Target("startup_to_caseload", None, "s", "lower", 1.0, 3.0,
           what="fresh process: the real MainWindow on the database until caseload rows are visible",
           floor="fresh process: a bare QMainWindow with an empty QTableView shown"),
    Target("filter_keystroke", None, "ms", "lower", 16.0, 100.0,
           what="typing a name into the caseload filter of the open window: the slowest keystroke"),
    Target("open_record", None, "ms", "lower", 100.0, 100.0, max_queries=20,
           what="services.patient_view of a woman with 40 fractures, 20 scans and 20 referrals",
           floor="raw SELECTs of her rows, one per table"),
    Target("open_record_draw", None, "ms", "lower", 50.0, 50.0,
           what="her timeline and fractures sections shown and painted offscreen from that PatientView"),
    Target("form_keystroke", None, "ms", "lower", 16.0, 16.0,
           what="a new fracture's form on her record: the slowest key typing its date (the core's validation shown)"),
    Target("gate_check", None, "ms", "lower", 5.0, 5.0,
           what="gate.check_medication (alendronate, today) on her snapshot, in process"),
    Target("worklist", None, "s", "lower", 1.5, 15.0,
           what="services.caseload_worklist for today",
           floor="raw SELECT * of every table it reads"),
    Target("import", None, "patients/s", "higher", 2_000.0, 2_000.0, max_floor_ratio=1.5,
           what="services.import_records of the demo caseload",
           floor="raw executemany of the same rows into an empty database of the same schema"),
    Target("export", None, "patients/s", "higher", 5_000.0, 5_000.0,
           what="services.export_document + exchange.document_to_bytes (the file's UTF-8 text)",
           floor="compact json.dumps of the same document"),
    Target("cli_start", "--help", "s", "lower", 0.15, None,
           what="fresh process: pao-clinic --help", floor="fresh process: python -c pass"),
    Target("cli_start", "check", "s", "lower", 0.15, None,
           what="fresh process: pao-clinic check --patient ... --drug alendronate",
           floor="fresh process: python -c pass"),
    Target("peak_rss_window", None, "MB", "lower", None, 600.0,
           what="peak resident memory of the window process (startup_to_caseload's), in MB (10^6 bytes)"),
    Target("letter_pdf", "one letter", "ms", "lower", 150.0, 150.0,
           what="services.draft_letter for one referral",
           floor="a one-paragraph reportlab document"),
    Target("letter_pdf", "100 letters", "s", "lower", 15.0, 15.0,
           what="services.draft_letter for 100 referrals of 100 women",
           floor="100 one-paragraph reportlab documents"),
)

TARGET_BY_KEY = {(t.metric, t.case): t for t in TARGETS}
METRICS = tuple(dict.fromkeys(t.metric for t in TARGETS))


def target_for(metric: str, case: str | None = None) -> Target:
    return TARGET_BY_KEY[(metric, case)]

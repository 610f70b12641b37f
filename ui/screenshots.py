"""Render the app's screens offscreen to PNG: `python -m ui.screenshots [FOLDER]`.

Uses a temporary database with the demo caseload (seed 1, 60 patients), so the
pictures are the same each time for the same day.  Writes `caseload.png` and
`check-medication.png` (default folder: docs/screenshots).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSize, QTimer  # noqa: E402

from pao_clinic import services  # noqa: E402
from pao_clinic.services.demo_setup import load_demo_caseload  # noqa: E402

from .app import DEMO_PATIENTS, DEMO_SEED, create_application  # noqa: E402
from .check_dialog import CheckMedicationDialog  # noqa: E402
from .main_window import MainWindow  # noqa: E402


def _settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def render(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    app = create_application()
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='pao-shots-')) / 'demo.sqlite'}"
    where = services.open_clinic_database(url, create=True)
    written = []
    try:
        actor = load_demo_caseload(DEMO_PATIENTS, seed=DEMO_SEED, today=date.today())
        window = MainWindow(actor, where, demo=True)
        window.resize(QSize(1440, 860))
        window.show()
        loop = QEventLoop()
        window.refreshed.connect(loop.quit)
        window.refresh()
        loop.exec()
        rows = services.caseload_rows()
        # a breastfeeding woman with a DEXA: the case the gate exists for
        patient = next((r for r in rows if r.lactation == "breastfeeding" and r.lowest_z is not None), rows[0])
        window.show_patient(patient.patient_id)
        _settle()
        written.append(folder / "caseload.png")
        window.grab().save(str(written[-1]))

        dialog = CheckMedicationDialog(patient, on=date.today())
        dialog.set_drug("zoledronate")
        dialog.resize(QSize(900, 900))
        dialog.show()
        dialog.check()
        _settle()
        written.append(folder / "check-medication.png")
        dialog.grab().save(str(written[-1]))
        dialog.close()
        window.close()
        del app
    finally:
        services.close_clinic_database()
    return written


if __name__ == "__main__":
    for path in render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")):
        print(f"saved {path}")

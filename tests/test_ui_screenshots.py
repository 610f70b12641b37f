"""`python -m ui.screenshots` renders the screens to PNG (the README's pictures)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

pytestmark = [pytest.mark.qt_log_ignore("does not support propagateSizeHints")]


def test_the_screens_render_to_png_images_of_the_expected_size(qapp, tmp_path, monkeypatch):
    from ui import app as desktop
    from ui.screenshots import render

    monkeypatch.setattr("ui.screenshots.DEMO_PATIENTS", 12)
    qapp.setOrganizationName("PAO Clinic tests")
    written = render(tmp_path)
    assert [p.name for p in written] == ["caseload.png", "check-medication.png"]
    caseload, dialog = (QImage(str(p)) for p in written)
    assert (caseload.width(), caseload.height()) == (1440, 860)
    assert not dialog.isNull() and dialog.width() >= 600
    assert desktop.DEMO_PATIENTS == 60  # the app's own demo size is untouched

"""`pao-clinic screenshots DIR --demo` renders every main screen to a PNG of 1366x768 (the README's pictures)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

pytestmark = [pytest.mark.qt_log_ignore("does not support propagateSizeHints")]

EXPECTED = ["caseload-worklist.png", "patient-overview.png", "pregnancies-feeding.png", "fractures-spine.png",
            "dexa-chart.png", "timeline.png", "decision-blocked.png", "decision-soft-stop.png",
            "entry-form-validation.png", "settings.png", "sign-in.png", "idle-lock.png", "settings-users.png",
            "audit-trail.png", "letters-correction.png"]
#: Drawn only on the temporary demo: they need its administrator, or a letter issued first.
DEMO_ONLY = ["settings-users.png", "audit-trail.png", "letters-correction.png"]


def distinct_colours(image: QImage, step: int = 7) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


def test_the_screenshots_command_renders_every_screen_non_blank_at_1366_by_768(qapp, tmp_path, monkeypatch, capsys):
    from ui import app as desktop
    from ui.launcher import main

    monkeypatch.setattr("ui.screenshots.DEMO_PATIENTS", 16)
    qapp.setOrganizationName("PAO Clinic tests")
    assert main(["screenshots", str(tmp_path / "shots"), "--demo"]) == 0
    written = sorted(p.name for p in (tmp_path / "shots").iterdir())
    assert written == sorted(EXPECTED)
    assert capsys.readouterr().out.splitlines() == [f"saved {tmp_path / 'shots' / name}" for name in EXPECTED]
    for name in EXPECTED:
        image = QImage(str(tmp_path / "shots" / name))
        assert (image.width(), image.height()) == (1366, 768), name
        assert distinct_colours(image) > 40, f"{name} looks blank"
    assert desktop.DEMO_PATIENTS == 60  # the app's own demo size is untouched
    assert qapp.organizationName() == "PAO Clinic tests"  # window state went elsewhere, and back


def test_without_demo_a_missing_database_is_refused_in_words_and_nothing_is_made(qapp, tmp_path, capsys):
    from ui.launcher import main

    missing = tmp_path / "nowhere.sqlite"
    assert main(["screenshots", str(tmp_path / "shots"), "--database", f"sqlite:///{missing}"]) == 2
    assert "there is no PAO Clinic database" in capsys.readouterr().err
    assert not missing.exists()


def test_without_demo_a_clinic_database_is_only_read(demo_clinic, tmp_path):
    from pao_clinic import services
    from ui.screenshots import render_screenshots

    before = (services.patient_count(), len(services.list_users()))
    services.close_clinic_database()
    written = render_screenshots(tmp_path, demo=False, database=demo_clinic.url)
    services.open_clinic_database(demo_clinic.url)
    assert [p.name for p in written] == [name for name in EXPECTED if name not in DEMO_ONLY]
    assert (services.patient_count(), len(services.list_users())) == before

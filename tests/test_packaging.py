"""One distribution, `pao-clinic`, installs both packages and finds its resources from a wheel."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_both_packages_and_the_resources_and_finds_them_when_installed(tmp_path):
    # --no-build-isolation: built with the setuptools `make` installed, so no network is needed
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("pao_clinic-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"pao_clinic/cli/__init__.py", "pao_clinic/cli/clinical.py", "ui/main_window.py", "resources/style.qss"} <= names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    assert any(n.startswith("resources/icons/") and n.endswith(".svg") for n in names)

    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    # run outside the checkout so only the installed copy can be found
    probe = ("from ui.resources import resource_path, resource_text; import ui; "
             "print(ui.__file__); print(len(resource_text('style.qss'))); print(resource_path('style.qss'))")
    found = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert found.returncode == 0, found.stderr
    module_file, length, path = found.stdout.split("\n")[:3]
    assert str(target) in module_file and str(target) in path
    assert int(length) == len((ROOT / "resources" / "style.qss").read_text(encoding="utf-8"))

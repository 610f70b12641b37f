"""`pao_clinic` is plain Python: every module imports with PySide6 made unimportable."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import importlib, importlib.abc, pkgutil, sys

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6", "ui"):
                raise ImportError(f"the core imported {name}")
            return None

    sys.meta_path.insert(0, NoQt())
    import pao_clinic
    names = [m.name for m in pkgutil.walk_packages(pao_clinic.__path__, "pao_clinic.") if m.name != "pao_clinic.__main__"]
    for name in names:
        importlib.import_module(name)
    leaked = sorted(n for n in sys.modules if n.split(".")[0] in ("PySide6", "shiboken6", "ui"))
    print(len(names), "modules;", "leaked:", leaked)
    sys.exit(1 if leaked else 0)
""")


def test_every_core_module_imports_without_qt_or_the_ui():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    count = int(done.stdout.split()[0])
    assert count >= 20, done.stdout  # the walk really found the core's modules
    assert "leaked: []" in done.stdout


def test_the_check_itself_catches_a_qt_import():
    bad = SCRIPT.replace("import pao_clinic\n", "import pao_clinic\nimport PySide6\n", 1)
    done = subprocess.run([sys.executable, "-c", bad], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "the core imported PySide6" in done.stderr


def test_every_service_the_package_names_is_what_its_module_holds_even_after_the_modules_are_imported():
    """`pao_clinic.services` imports its names lazily; a name like its module's must still be the service."""
    import importlib

    import pao_clinic.services as services
    from pao_clinic.services import _MODULE_OF

    for name, module in _MODULE_OF.items():
        importlib.import_module(f"pao_clinic.services.{module}")
    for name, module in _MODULE_OF.items():
        assert getattr(services, name) is getattr(importlib.import_module(f"pao_clinic.services.{module}"), name), name

"""The Qt binding the app runs on keeps Python's reference counts right.

PySide6 6.12.0 returns `True` from every Python-side `Signal.emit()` without taking a
reference to it; on Python 3.11 a long session (a timer ticking, a worker reporting
progress) then aborts the whole app with "Fatal Python error: bool_dealloc".
pyproject.toml refuses that release; this test refuses any other with the same fault.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_emitting_a_signal_many_times_leaves_the_reference_to_true_as_it_was():
    # in a child process: the faulty binding kills the interpreter rather than failing an assert
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QObject, Signal

        class Ticker(QObject):
            ticked = Signal(int)

        ticker = Ticker()
        seen = []
        ticker.ticked.connect(seen.append)
        before = sys.getrefcount(True)
        for n in range(2000):
            ticker.ticked.emit(n)
        print(len(seen), sys.getrefcount(True) - before)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    emitted, lost = (int(word) for word in run.stdout.split())
    assert emitted == 2000
    assert abs(lost) < 50, f"{lost} references to True lost over 2000 emits: a faulty Qt binding"

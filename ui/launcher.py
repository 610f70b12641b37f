"""The `pao-clinic` entry point: the command line, which opens the desktop app when no
command is given.  Qt is imported only when the desktop app opens (or for
`pao-clinic screenshots DIR [--demo]`, which renders the screens offscreen), so the
other commands start as fast as they would without it.
"""

from __future__ import annotations

import argparse
import sys


def run_desktop(url: str, args: argparse.Namespace) -> int:
    from ui.app import run_desktop as run

    return run(url, args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["screenshots"]:  # a desktop command: pao_clinic.cli never imports Qt
        from ui.screenshots import main as screenshots_main

        return screenshots_main(argv[1:])
    from pao_clinic.cli import main as cli_main

    return cli_main(argv, open_desktop=run_desktop)


if __name__ == "__main__":  # python -m ui.launcher
    sys.exit(main())

"""The `pao-clinic` entry point: the command line, which opens the desktop app when no
command is given.  Qt is imported only when the desktop app opens, so the commands
start as fast as they would without it.
"""

from __future__ import annotations

import argparse
import sys


def run_desktop(url: str, args: argparse.Namespace) -> int:
    from ui.app import run_desktop as run

    return run(url, args)


def main() -> int:
    from pao_clinic.cli import main as cli_main

    return cli_main(sys.argv[1:], open_desktop=run_desktop)


if __name__ == "__main__":  # python -m ui.launcher
    sys.exit(main())

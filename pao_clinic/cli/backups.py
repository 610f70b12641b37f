"""`pao-clinic` commands: backups (being built; registers nothing yet)."""

from __future__ import annotations


def add_commands(sub, common) -> dict:
    return {}

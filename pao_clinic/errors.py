"""The one error hierarchy of the core.

Services raise these; the CLI turns them into exit code 2 with their text, the UI
shows their text (at the field where a Problem names one).  Anything else that
escapes is a bug: logged with its traceback and shown as a short apology.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (a field name or JSON path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PaoClinicError(Exception):
    """Base of every error the core raises on purpose."""


class ValidationError(PaoClinicError):
    """Input that breaks a rule of the record; carries one Problem per fault."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def for_field(self, name: str) -> list[str]:
        """The messages about one field: its path, a path ending in it, or an item of it (`name[1]`)."""
        def field_of(path: str) -> str:
            return path.rsplit(".", 1)[-1].split("[", 1)[0]
        return [p.message for p in self.problems if field_of(p.path) == name]


class NotFoundError(PaoClinicError):
    """A patient, record or user that does not exist (or was entered in error)."""


class ConflictError(PaoClinicError):
    """Someone else changed the record since it was read; nothing was written."""


class PermissionDenied(PaoClinicError):
    """The acting user's role may not do this; nothing was written."""


class AuthenticationError(PaoClinicError):
    """Wrong password, unknown or inactive user."""


class DecisionRefused(PaoClinicError):
    """The medication gate refuses the decision as asked; nothing was written."""

    def __init__(self, message: str, rules: tuple = ()):
        self.rules = rules
        super().__init__(message)


class StorageError(PaoClinicError):
    """The database cannot be opened or used as asked (bad URL, newer schema, ...)."""

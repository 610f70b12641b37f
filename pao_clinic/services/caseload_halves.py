"""A large caseload worked out in two processes: the later half of the women in a second one.

Reading 100,000 women and working out their facts and tasks is Python-bound work on one
core for about 15 s; a clinic PC has two or more.  From `SECOND_PROCESS_FROM` live women,
on a machine with a second core, the women with an id above the middle one are read and
worked out by `python -m pao_clinic.services.caseload_halves` while this process does the
first half, and the two answers are joined in id order: the same answer as one process
gives (tests/test_caseload_halves.py), in about half the time.

Safer choices:
- A second process that fails, for any reason (it cannot start, its database cannot be
  opened, it stops, its answer cannot be read), is not the nurse's problem: this process
  works the later half out itself, as it would have with one core, and logs why.
- An encrypted file is worked out in one process: its passphrase never leaves it.  An
  in-memory database has nothing another process could open.
- The second process only reads.  It opens the file this process has already opened, checked
  and brought up to date, and writes nothing.  Each woman is read whole by one of the two.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, fields
from datetime import date
from operator import attrgetter
from typing import Any, Callable

log = logging.getLogger(__name__)

#: Live women from which the later half goes to a second process.  Below it, starting one costs
#: more than it saves: the process starts and opens the database in ~0.4 s, and 5,000 women take
#: ~0.65 s in one process (10,000: 1.33 s in one, 0.86 s in two).
SECOND_PROCESS_FROM = 8_000

_ANSWER_PROTOCOL = pickle.HIGHEST_PROTOCOL


def process_peak_memory_mb() -> float:
    """This process's peak resident memory, in MB (10^6 bytes).

    /proc/self/status VmHWM where there is one: getrusage's ru_maxrss survives exec, so a
    process started by a big parent would report the parent's size at the start.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # Linux reports KiB


_LAST_PEAK_MB: list[float | None] = [None]  # the peak memory of the latest second process that answered


def second_process_peak_mb() -> float | None:
    """The peak resident memory of the latest second process that answered, in MB (None: none has)."""
    return _LAST_PEAK_MB[0]


def cores_for_this_process() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def second_process_reason(url: str | None) -> str | None:
    """Why this database's caseload cannot be shared with a second process (None: it can)."""
    from pao_clinic.storage.location import parse_database_url

    if url is None:
        return "no database is open"
    location = parse_database_url(url)
    if location.engine == "sqlite":
        if location.encrypted:
            return "the file is encrypted: its passphrase stays in this process"
        if location.sqlite_file is None:
            return "an in-memory database cannot be opened by another process"
    if cores_for_this_process() < 2:
        return "this machine gives the clinic one core"
    return None


def middle_patient_id(first_from: int) -> int | None:
    """The id of the woman halfway through the live caseload, when it has `first_from` women or more."""
    from peewee import fn

    from pao_clinic.storage.models import Patient

    live = Patient.entered_in_error_at.is_null()
    count = Patient.select(fn.COUNT(Patient.id)).where(live).scalar()
    if count < max(first_from, 2):
        return None
    return (Patient.select(Patient.id).where(live).order_by(Patient.id)
            .limit(1).offset(count // 2 - 1).scalar())


@dataclass
class LaterHalf:
    """The women with an id above `after`, worked out elsewhere (`process`) or, failing that, here.

    `after` None: nobody is left for a second process (the first half is the whole caseload).
    """

    after: int | None
    kind: str                # what it works out: `caseload.worked_out_part`'s kind
    process: subprocess.Popen | None = None
    worked_out_elsewhere: bool = False
    failure: str | None = None

    def answer(self, here: Callable[[int], Any], nothing: Any) -> Any:
        """The second process's answer; `here(after)` when it failed; `nothing` when there is no later half."""
        if self.after is None:
            return nothing
        answer = self._from_process()
        if answer is not None:
            self.worked_out_elsewhere = True
            return answer
        log.warning("the later half of the caseload was worked out in this process: %s", self.failure)
        return here(self.after)

    def _from_process(self):
        from pao_clinic.services.snapshots import collector_paused
        from pao_clinic.storage.connection import note_statement

        process, self.process = self.process, None
        if process is None:
            return None
        try:
            out, err = process.communicate()
        except Exception as exc:  # noqa: BLE001  (whatever stopped it, the answer is worked out here)
            process.kill()
            self.failure = f"the second process could not be read ({type(exc).__name__}: {exc})"
            return None
        if process.returncode != 0 or not out:
            words = (err or b"").decode("utf-8", "replace").strip().splitlines()
            self.failure = f"the second process stopped ({process.returncode}): {words[-1] if words else 'no answer'}"
            return None
        try:
            with collector_paused():  # tens of thousands of acyclic values, as the first half's
                packed, statements, peak_mb = pickle.loads(out)  # noqa: S301  (our own child's answer)
                answer = unpacked(self.kind, packed)
        except Exception as exc:  # noqa: BLE001
            self.failure = f"the second process's answer could not be read ({type(exc).__name__})"
            return None
        for statement in statements:  # its statements count as this read's (counting_queries)
            note_statement(statement)
        _LAST_PEAK_MB[0] = peak_mb
        return answer

    def stop(self) -> None:
        """Stop the second process if it is still running (the first half failed, or nobody waits)."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.communicate()


def second_process_command() -> list[str]:
    """The program of the second process: this module, run by the same Python."""
    return [sys.executable, "-m", "pao_clinic.services.caseload_halves"]


def start_later_half(kind: str, on: date, settings) -> LaterHalf:
    """Start working out the later half of the caseload in a second process, when it is worth it and can be.

    `kind`: "worklist" (its tasks) or "overview" (lines and tasks); the second process reads the
    clinic's issued letters itself and uses these `settings` and day, as this one does.
    """
    from pao_clinic.storage.connection import bound_database_url

    url = bound_database_url()
    reason = second_process_reason(url)
    if reason is not None:
        return LaterHalf(None, kind)
    after = middle_patient_id(SECOND_PROCESS_FROM)
    if after is None:
        return LaterHalf(None, kind)
    request = pickle.dumps({"url": url, "kind": kind, "after": after, "on": on, "settings": settings},
                           protocol=_ANSWER_PROTOCOL)
    later = LaterHalf(after, kind)
    try:
        process = subprocess.Popen(second_process_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        with process.stdin:  # a few hundred bytes: the pipe takes them at once
            process.stdin.write(request)
        process.stdin = None  # sent: `communicate` only reads its answer
    except OSError as exc:
        later.failure = f"the second process could not start ({exc})"
        return later
    later.process = process
    return later


def _work_out_later_half(request: dict) -> tuple[Any, list[str]]:
    """In the second process: open the database read as it stands and work out the women after `after`."""
    from pao_clinic.services.caseload import worked_out_part
    from pao_clinic.storage.connection import bind, close_database, connect, counting_queries
    from pao_clinic.storage.location import parse_database_url

    url = request["url"]
    bind(connect(parse_database_url(url)), url)
    try:
        with counting_queries() as counted:
            answer = worked_out_part(request["kind"], request["on"], request["settings"], after=request["after"])
        return packed(request["kind"], answer), counted.statements
    finally:
        close_database()


# --- the answer over the pipe: plain tuples, which pickle writes and reads in C ------------------
# (a frozen dataclass is unpickled field by field through object.__setattr__: 1.4 s for the later
# half of 100,000 lines; tuples, and the values made again as the record's are, take a fraction)

def _fields_of(value_type: type) -> Callable:
    """value -> (None, field, field, ...): the row shape `snapshots._value_maker` makes values from."""
    get = attrgetter(*(f.name for f in fields(value_type)))
    return lambda value: (None, *get(value))


def _maker_of(value_type: type, converters: dict | None = None) -> Callable:
    from pao_clinic.services.snapshots import _value_maker

    return _value_maker(value_type, tuple(f.name for f in fields(value_type)), converters or {})


def packed(kind: str, answer):
    """`worked_out_part`'s answer as plain tuples (`unpacked` makes it again)."""
    from pao_clinic.gate.worklist import WorklistTask
    from pao_clinic.services.caseload import CaseloadFlag, CaseloadRow

    task = _fields_of(WorklistTask)
    if kind == "worklist":
        return [task(t) for t in answer]
    rows, by_patient = answer
    line, flag = _fields_of(CaseloadRow), _fields_of(CaseloadFlag)
    at = _flags_position()
    lines = []
    for row in rows:
        values = line(row)
        lines.append((*values[:at], tuple(map(flag, row.flags)), *values[at + 1:]))
    return lines, {pid: tuple(map(task, hers)) for pid, hers in by_patient.items()}


def _flags_position() -> int:
    """Where a line's flags are in its packed tuple (after the leading None)."""
    from pao_clinic.services.caseload import CaseloadRow

    return [f.name for f in fields(CaseloadRow)].index("flags") + 1


def unpacked(kind: str, plain):
    """The answer `packed` was given, made again: equal values of the same types."""
    from pao_clinic.gate.worklist import WorklistTask
    from pao_clinic.services.caseload import CaseloadFlag, CaseloadRow

    task = _maker_of(WorklistTask)
    if kind == "worklist":
        return list(map(task, plain))
    lines, by_patient = plain
    flag = _maker_of(CaseloadFlag)
    at = _flags_position()
    line = _maker_of(CaseloadRow, {at: lambda flags: tuple(map(flag, flags))})
    return list(map(line, lines)), {pid: tuple(map(task, hers)) for pid, hers in by_patient.items()}


def main() -> int:
    request = pickle.loads(sys.stdin.buffer.read())  # noqa: S301  (from the process that started this one)
    answer, statements = _work_out_later_half(request)
    reply = (answer, statements, process_peak_memory_mb())
    sys.stdout.buffer.write(pickle.dumps(reply, protocol=_ANSWER_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

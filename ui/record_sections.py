"""The list sections of her record: pregnancies and feeding, bloods, height, EPDS, referrals, audit.

Each page is a `RecordSection` showing the PatientView it is given: one
`RowTableModel` per list behind a `RowSortProxy`, every code in words, every mark a
word (colour only repeats it).  Pages never open forms or write: they ask through
signals, each carrying the live value (with its id and version) the form needs:

- `add_requested(str)`: the record's list name ("pregnancies", "breastfeeding", ...),
- `edit_requested(object)`, `entered_in_error_requested(object)`: the selected entry,
- `feeding_stop_requested(object)` (pregnancies), `status_change_requested(object)` (referrals).

What is clinical comes from the gate and the clinic's settings: thresholds from
`view.settings`, height loss from the worklist's own HEIGHT-LOSS rule, overdue
referrals from her overview's REFERRAL-OVERDUE tasks.

Code lists are shown in the words of `pao_clinic.record.code_words`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any, Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit,
    QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from pao_clinic.clinic_settings import ClinicSettings
from pao_clinic.gate import clinical_facts
from pao_clinic.gate.facts import written_number
from pao_clinic.gate.worklist import PatientDay, height_loss, referral_overdue, referral_unsent
from pao_clinic.record import (
    BloodResult, Contraception, DentalReview, EpdsScreen, Feeding, HeightMeasurement, Pregnancy, Referral, codes,
)
from pao_clinic.record.code_words import (
    BLOOD_TEST_WORDS, DELIVERY_MODE_WORDS, FUTURE_PREGNANCY_PLAN_WORDS, HISTORY_WORDS, PREGNANCY_OUTCOME_WORDS,
    REFERRAL_STATUS_WORDS, RISK_FACTOR_WORDS, SPECIALTY_WORDS, URGENCY_WORDS, words,
)
from pao_clinic.record.dates import written_date
from pao_clinic.services.patient_view import AuditHistoryEntry, PatientView

from .caseload_model import ALIGN_NUMBER, ALIGN_TEXT, ROW_ROLE, RowSortProxy, RowTableModel, list_table_view
from .section_actions import ButtonWords, EntryActions, action_button
from .status_colours import BLOCKED, CAUTION
from .letters_view import LettersView
from .patient_record import RecordSection

NOTHING = "\u2014"
ARROW = "\u2192"
ELLIPSIS = "\u2026"

# --- words -----------------------------------------------------------------------------------
# Code lists in clinical words come from pao_clinic.record.code_words; the audit trail's
# actions and record types are not code lists of the record, so their words are here.

AUDIT_ACTION_WORDS: dict[str, str] = {
    "import": "Imported", "register": "Registered", "add": "Added", "update": "Corrected",
    "status_change": "Moved on", "entered_in_error": "Marked entered in error",
    "issue": "Issued", "reprint": "Reprinted", "read": "Read", "printed": "Printed", "saved": "Saved as PDF",
    "open": "Opened her record", "export": "Exported", "sign-in": "Signed in", "sign-in failed": "Sign-in failed",
    "deactivate": "Deactivated", "reactivate": "Reactivated", "reset password": "Password reset",
    "change role": "Role changed", "reset": "Reset to default", "backed_up": "Backed up", "restored": "Restored",
    "encrypted": "Encrypted copy made", "rekeyed": "Passphrase changed",
}
RECORD_TYPE_WORDS: dict[str, str] = {
    "patient": "Her details", "contraception": "Contraception", "dental_review": "Dental review",
    "pregnancy": "Pregnancy", "feeding": "Feeding entry", "fracture": "Fracture", "dexa_scan": "DEXA result",
    "blood_result": "Blood result", "height": "Height", "epds": "EPDS screen", "medication": "Medication",
    "referral": "Referral", "decision": "Decision", "letter": "Letter", "stored_document": "Letter",
    "patient_summary": "Her summary", "user": "User account", "clinic_setting": "Clinic setting",
    "audit_entry": "Audit trail", "sign-in": "Signing in", "database": "The database",
}


def words_for(table: dict[str, str], code: str | None) -> str:
    """A code in the clinic's words (the code with spaces when the table lacks it); a dash for none."""
    return NOTHING if code is None else words(table, code)


# --- marks: a word always, colour only repeats it -------------------------------------------

ATTENTION_TEXT = CAUTION   # amber: ask or check (a shade for the light and the dark palette)
ALARM_TEXT = BLOCKED       # red: act today


def _bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _day_or_nothing(day: date | None) -> str:
    return written_date(day) if day else NOTHING


def _signed_cm(change: float) -> str:
    change = round(change, 6)
    if change == 0:
        return "no change"
    sign = "+" if change > 0 else "\u2212"
    return f"{sign}{written_number(abs(change))} cm"


# --- pregnancies and feeding ------------------------------------------------------------------

FULL_TERM_DAYS = 280  # 40 weeks from the last period: the due date's own definition


def gestation_words(pregnancy: Pregnancy, on: date) -> str:
    """Weeks+days worked out from her due date: at the end of the pregnancy, or today while ongoing."""
    if pregnancy.due_date is None:
        return NOTHING
    if pregnancy.ended_on is not None:
        day, when = pregnancy.ended_on, "at the end"
    elif pregnancy.outcome == "ongoing":
        day, when = on, "today"
    else:
        return NOTHING
    days = FULL_TERM_DAYS - (pregnancy.due_date - day).days
    if days < 0:
        return NOTHING
    return f"{days // 7}+{days % 7} weeks {when}"


FEEDING_NOW = "Breastfeeding now"
FEEDING_STOPPED = "Stopped"
FEEDING_PASSED = "Planned stop passed: ask"
FEEDING_NONE = "Did not breastfeed"
FEEDING_NOT_YET = "Not started yet"


def feeding_status(entry: Feeding, on: date) -> str:
    """Her feeding after one pregnancy on the day, in words."""
    if not entry.breastfed:
        return FEEDING_NONE
    if entry.started_on is not None and entry.started_on > on:
        return FEEDING_NOT_YET
    if entry.stopped_on is not None:
        return FEEDING_STOPPED if entry.stopped_on < on else FEEDING_NOW
    if entry.planned_stop_on is not None and entry.planned_stop_on < on:
        return FEEDING_PASSED
    return FEEDING_NOW


def feeding_stop_words(entry: Feeding) -> str:
    if entry.stopped_on is not None:
        return written_date(entry.stopped_on)
    if entry.planned_stop_on is not None:
        return f"planned stop {written_date(entry.planned_stop_on)}"
    return NOTHING


def may_record_feeding_stopped(entry: Feeding | None) -> bool:
    return entry is not None and entry.breastfed and entry.stopped_on is None


class PregnancyTableModel(RowTableModel):
    COL_NUMBER, COL_OUTCOME, COL_DUE, COL_ENDED, COL_DELIVERY, COL_GESTATION = range(6)
    HEADERS = ("No.", "Outcome", "Due date", "Ended on", "Delivery", "Gestation")
    HEADER_TIPS = ("Her pregnancies in order", "How the pregnancy ended (or ongoing)", "Expected date of delivery",
                   "The day the pregnancy ended", "How she was delivered",
                   "Worked out from the due date (40 weeks): at the end of the pregnancy, or today while ongoing")
    ALIGNMENTS = (ALIGN_NUMBER,) + (ALIGN_TEXT,) * 5

    def __init__(self, parent=None):
        super().__init__(parent)
        self.on = date.min

    def display(self, item: Pregnancy, column: int) -> str:
        if column == self.COL_NUMBER:
            return str(item.number)
        if column == self.COL_OUTCOME:
            return words_for(PREGNANCY_OUTCOME_WORDS, item.outcome)
        if column == self.COL_DUE:
            return _day_or_nothing(item.due_date)
        if column == self.COL_ENDED:
            return _day_or_nothing(item.ended_on)
        if column == self.COL_DELIVERY:
            return words_for(DELIVERY_MODE_WORDS, item.delivery_mode)
        if column == self.COL_GESTATION:
            return gestation_words(item, self.on)
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_NUMBER:
            return item.number
        if column == self.COL_DUE:
            return item.due_date
        if column == self.COL_ENDED:
            return item.ended_on
        text = self.display(item, column)
        return None if text == NOTHING else text.casefold()


class FeedingTableModel(RowTableModel):
    COL_PREGNANCY, COL_BREASTFED, COL_STARTED, COL_STOPPED, COL_STATUS = range(5)
    HEADERS = ("After pregnancy", "Breastfed", "Started", "Stopped", "Status on the day")
    HEADER_TIPS = ("The pregnancy this feeding followed", "Whether she breastfed after it", "First feed",
                   "Last feed, or the stop she plans", "Breastfeeding now, stopped, or a planned stop that has passed")
    ALIGNMENTS = (ALIGN_TEXT,) * 5

    def __init__(self, parent=None):
        super().__init__(parent)
        self.on = date.min
        self.pregnancy_numbers: dict[str, int] = {}
        self._bold = _bold_font()

    def set_feeding(self, entries: Sequence[Feeding], pregnancies: Sequence[Pregnancy], on: date) -> None:
        self.on = on
        self.pregnancy_numbers = {p.ref: p.number for p in pregnancies}
        self.set_rows(entries)

    def display(self, item: Feeding, column: int) -> str:
        if column == self.COL_PREGNANCY:
            number = self.pregnancy_numbers.get(item.pregnancy)
            return f"Pregnancy {number}" if number is not None else f"Pregnancy {item.pregnancy}"
        if column == self.COL_BREASTFED:
            return "Yes" if item.breastfed else "No"
        if column == self.COL_STARTED:
            return _day_or_nothing(item.started_on)
        if column == self.COL_STOPPED:
            return feeding_stop_words(item)
        if column == self.COL_STATUS:
            return feeding_status(item, self.on)
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_PREGNANCY:
            return self.pregnancy_numbers.get(item.pregnancy, 0)
        if column == self.COL_STARTED:
            return item.started_on
        if column == self.COL_STOPPED:
            return item.stopped_on or item.planned_stop_on
        return self.display(item, column).casefold()

    def extra(self, item: Feeding, column: int, role: Qt.ItemDataRole) -> Any:
        if column == self.COL_STATUS and feeding_status(item, self.on) == FEEDING_PASSED:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(ATTENTION_TEXT.on())
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.ToolTipRole:
                return (f"Feeding was planned to stop on {written_date(item.planned_stop_on)}: "
                        "ask whether she has stopped, and record the day of the last feed")
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_STOPPED and item.stopped_on is None \
                and item.planned_stop_on is not None:
            return "Not stopped yet: the day she plans to stop"
        return None


class ContraceptionTableModel(RowTableModel):
    COL_RECORDED, COL_METHOD, COL_EFFECTIVE = range(3)
    HEADERS = ("Recorded on", "Method", "Effective")
    ALIGNMENTS = (ALIGN_TEXT,) * 3

    def display(self, item: Contraception, column: int) -> str:
        if column == self.COL_RECORDED:
            return written_date(item.recorded_on)
        if column == self.COL_METHOD:
            return item.method
        if column == self.COL_EFFECTIVE:
            return "Yes" if item.effective else "No: not effective"
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_RECORDED:
            return item.recorded_on
        return self.display(item, column).casefold()


class DentalReviewTableModel(RowTableModel):
    COL_REVIEWED, COL_AGE = range(2)
    HEADERS = ("Reviewed on", "How recent")
    HEADER_TIPS = ("Her dental review", "Against the clinic's window for a dental review before treatment")
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_TEXT)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.on = date.min
        self.window_days = 365

    def display(self, item: DentalReview, column: int) -> str:
        if column == self.COL_REVIEWED:
            return written_date(item.reviewed_on)
        if column == self.COL_AGE:
            age = (self.on - item.reviewed_on).days
            if age < 0:
                return "after the day shown"
            if age > self.window_days:
                return f"older than {self.window_days} days"
            return f"within {self.window_days} days"
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        return self._rows[row].reviewed_on


# --- bloods -----------------------------------------------------------------------------------

def _limit(value: float, unit: str) -> str:
    return f"{written_number(value)} {unit}"


def blood_threshold(test: str, settings: ClinicSettings) -> str:
    """The clinic's threshold for a test, from its settings (empty when the gate sets none)."""
    unit = codes.BLOOD_TEST_UNITS.get(test, "")
    if test == "adjusted_calcium":
        return f"{written_number(settings.calcium_low_mmol_l)} to {_limit(settings.calcium_high_mmol_l, unit)}"
    if test == "vitamin_d_25oh":
        return f"{_limit(settings.vitamin_d_low_nmol_l, unit)} or more"
    if test == "alkaline_phosphatase":
        return f"{_limit(settings.alp_high_u_l, unit)} or less"
    if test == "egfr":
        lower = min(settings.egfr_other_antiresorptive, settings.egfr_pth_block)
        return (f"{_limit(settings.egfr_zoledronate_alendronate, unit)} or more "
                f"({written_number(lower)} for other drugs)")
    return ""


def blood_flag(result: BloodResult, settings: ClinicSettings) -> str:
    """`low (below 50 nmol/L)`, `high (above 2.6 mmol/L)`, or empty: the gate's thresholds only."""
    test, value, unit = result.test, result.value, result.unit
    if test == "adjusted_calcium":
        if value < settings.calcium_low_mmol_l:
            return f"low (below {_limit(settings.calcium_low_mmol_l, unit)})"
        if value > settings.calcium_high_mmol_l:
            return f"high (above {_limit(settings.calcium_high_mmol_l, unit)})"
    elif test == "vitamin_d_25oh":
        if value < settings.vitamin_d_low_nmol_l:
            return f"low (below {_limit(settings.vitamin_d_low_nmol_l, unit)})"
    elif test == "alkaline_phosphatase":
        if value > settings.alp_high_u_l:
            return f"high (above {_limit(settings.alp_high_u_l, unit)})"
    elif test == "egfr":
        for limit in sorted({settings.egfr_other_antiresorptive, settings.egfr_pth_block,
                             settings.egfr_zoledronate_alendronate}):
            if value < limit:
                return f"low (below {_limit(limit, unit)})"
    return ""


def is_older_than_window(taken_on: date, on: date, settings: ClinicSettings) -> bool:
    """Outside the gate's results window: the gate no longer reads it as a current result."""
    return (on - taken_on).days > settings.results_window_days


class BloodTableModel(RowTableModel):
    COL_TAKEN, COL_TEST, COL_RESULT, COL_THRESHOLD, COL_FLAG, COL_WINDOW = range(6)
    HEADERS = ("Taken on", "Test", "Result", "Clinic threshold", "Flag", "Current?")
    HEADER_TIPS = ("The day the blood was taken", "The test", "Value and unit",
                   "The medication gate's threshold (a clinic setting); none where the gate sets none",
                   "Low or high against the clinic's threshold", "Whether the gate still reads the result")
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_TEXT, ALIGN_NUMBER, ALIGN_TEXT, ALIGN_TEXT, ALIGN_TEXT)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.on = date.min
        self.settings = ClinicSettings()
        self._bold = _bold_font()

    def set_results(self, results: Sequence[BloodResult], on: date, settings: ClinicSettings) -> None:
        self.on, self.settings = on, settings
        self.set_rows(results)

    def display(self, item: BloodResult, column: int) -> str:
        if column == self.COL_TAKEN:
            return written_date(item.taken_on)
        if column == self.COL_TEST:
            return words_for(BLOOD_TEST_WORDS, item.test)
        if column == self.COL_RESULT:
            return f"{written_number(item.value)} {item.unit}"
        if column == self.COL_THRESHOLD:
            return blood_threshold(item.test, self.settings)
        if column == self.COL_FLAG:
            return blood_flag(item, self.settings)
        if column == self.COL_WINDOW:
            if is_older_than_window(item.taken_on, self.on, self.settings):
                return f"older than {self.settings.results_window_days} days"
            return f"within {self.settings.results_window_days} days"
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_TAKEN:
            return item.taken_on
        if column == self.COL_RESULT:
            return (item.test, item.value)
        if column == self.COL_WINDOW:
            return item.taken_on
        return self.display(item, column).casefold() or None

    def extra(self, item: BloodResult, column: int, role: Qt.ItemDataRole) -> Any:
        if column == self.COL_FLAG and self.display(item, column):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(ALARM_TEXT.on())
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        if column == self.COL_WINDOW and is_older_than_window(item.taken_on, self.on, self.settings):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(ATTENTION_TEXT.on())
            if role == Qt.ItemDataRole.ToolTipRole:
                return (f"Taken more than {self.settings.results_window_days} days before "
                        f"{written_date(self.on)}: the medication gate does not count it")
        return None


# --- height -----------------------------------------------------------------------------------

def height_loss_messages(view: PatientView) -> dict[date, str]:
    """The worklist's HEIGHT-LOSS message as of each measuring day that raised it (the gate's own rule)."""
    record, settings = view.record, view.settings
    found: dict[date, str] = {}
    for day in sorted({h.measured_on for h in view.heights if h.measured_on <= view.on}):
        asked = PatientDay(record=record, on=day, settings=settings, facts=clinical_facts(record, day, settings))
        for task in height_loss(asked):
            found[day] = task.message
    return found


class HeightTableModel(RowTableModel):
    COL_MEASURED, COL_HEIGHT, COL_FROM_FIRST, COL_FROM_PREVIOUS, COL_LOSS = range(5)
    HEADERS = ("Measured on", "Height", "Change from the first", "Change from the previous", "Height loss")
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_NUMBER, ALIGN_NUMBER, ALIGN_NUMBER, ALIGN_TEXT)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss_messages: dict[date, str] = {}
        self._changes: dict[int, tuple[float | None, float | None]] = {}  # id(row) -> from first, from previous
        self._bold = _bold_font()

    def set_heights(self, heights: Sequence[HeightMeasurement], loss_messages: dict[date, str]) -> None:
        self.loss_messages = dict(loss_messages)
        self.set_rows(heights)

    def _prepare(self) -> None:
        ordered = sorted(self._rows, key=lambda h: h.measured_on)
        self._changes = {}
        previous: HeightMeasurement | None = None
        for h in ordered:
            from_first = None if h is ordered[0] else h.cm - ordered[0].cm
            self._changes[id(h)] = (from_first, None if previous is None else h.cm - previous.cm)
            previous = h

    def display(self, item: HeightMeasurement, column: int) -> str:
        if column == self.COL_MEASURED:
            return written_date(item.measured_on)
        if column == self.COL_HEIGHT:
            return f"{written_number(item.cm)} cm"
        if column == self.COL_FROM_FIRST:
            change = self._changes[id(item)][0]
            return "first measurement" if change is None else _signed_cm(change)
        if column == self.COL_FROM_PREVIOUS:
            change = self._changes[id(item)][1]
            return NOTHING if change is None else _signed_cm(change)
        if column == self.COL_LOSS:
            return "height loss: look for a new vertebral fracture" if item.measured_on in self.loss_messages else ""
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_HEIGHT:
            return item.cm
        if column == self.COL_FROM_FIRST:
            return self._changes[id(item)][0]
        if column == self.COL_FROM_PREVIOUS:
            return self._changes[id(item)][1]
        if column == self.COL_LOSS:
            return item.measured_on in self.loss_messages
        return item.measured_on

    def extra(self, item: HeightMeasurement, column: int, role: Qt.ItemDataRole) -> Any:
        if column == self.COL_LOSS and item.measured_on in self.loss_messages:
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.loss_messages[item.measured_on]
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(ALARM_TEXT.on())
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        return None


# --- EPDS -------------------------------------------------------------------------------------

def epds_threshold_words(screen: EpdsScreen, settings: ClinicSettings) -> str:
    if screen.score >= settings.epds_high_score:
        return f"at or above the threshold ({settings.epds_high_score}): mood task / referral"
    return f"below the threshold ({settings.epds_high_score})"


def self_harm_words(item: int) -> str:
    if item <= 0:
        return "0: never"
    return f"{item}: self-harm thoughts: assess today"


class EpdsTableModel(RowTableModel):
    COL_ASSESSED, COL_SCORE, COL_SELF_HARM, COL_THRESHOLD = range(4)
    HEADERS = ("Assessed on", "Score (0-30)", "Item 10: self-harm (0-3)", "Against the clinic's threshold")
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_NUMBER, ALIGN_TEXT, ALIGN_TEXT)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = ClinicSettings()
        self._bold = _bold_font()

    def set_screens(self, screens: Sequence[EpdsScreen], settings: ClinicSettings) -> None:
        self.settings = settings
        self.set_rows(screens)

    def display(self, item: EpdsScreen, column: int) -> str:
        if column == self.COL_ASSESSED:
            return written_date(item.assessed_on)
        if column == self.COL_SCORE:
            return str(item.score)
        if column == self.COL_SELF_HARM:
            return self_harm_words(item.self_harm_item)
        if column == self.COL_THRESHOLD:
            return epds_threshold_words(item, self.settings)
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_SCORE or column == self.COL_THRESHOLD:
            return item.score
        if column == self.COL_SELF_HARM:
            return item.self_harm_item
        return item.assessed_on

    def extra(self, item: EpdsScreen, column: int, role: Qt.ItemDataRole) -> Any:
        marked = ((column == self.COL_SELF_HARM and item.self_harm_item > 0)
                  or (column == self.COL_THRESHOLD and item.score >= self.settings.epds_high_score))
        if marked and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(ALARM_TEXT.on())
        if marked and role == Qt.ItemDataRole.FontRole:
            return self._bold
        return None


# --- referrals --------------------------------------------------------------------------------

REFERRAL_OVERDUE = "overdue: chase it"
REFERRAL_UNSENT = "draft not sent"


def referral_follow_up(view: PatientView) -> dict[int, str]:
    """Which referrals (by position in view.referrals) her open tasks name as overdue or unsent.

    The tasks are the overview's own; the worklist's rule, asked of each referral alone,
    says which referral a task is about (its task is then among her tasks of the day).
    """
    open_tasks = {(t.code, t.due_on, t.message) for t in view.overview.tasks}
    if not any(code in ("REFERRAL-OVERDUE", "REFERRAL-UNSENT") for code, _, _ in open_tasks):
        return {}
    facts = clinical_facts(view.record, view.on, view.settings)
    marks: dict[int, str] = {}
    for n, referral in enumerate(view.referrals):
        alone = PatientDay(record=replace(view.record, referrals=(referral,)), on=view.on,
                           settings=view.settings, facts=facts)
        for rule, words in ((referral_overdue, REFERRAL_OVERDUE), (referral_unsent, REFERRAL_UNSENT)):
            if any((t.code, t.due_on, t.message) in open_tasks for t in rule(alone)):
                marks[n] = words
    return marks


class ReferralTableModel(RowTableModel):
    COL_SPECIALTY, COL_URGENCY, COL_STATUS, COL_CREATED, COL_SENT, COL_SEEN, COL_FOLLOW_UP, COL_REASON = range(8)
    HEADERS = ("Specialty", "Urgency", "Status", "Created", "Sent", "Seen", "Follow-up", "Reason")
    HEADER_TIPS = ("Where she was referred", "Urgent or routine", "Where the referral has got to",
                   "The day it was written", "The day it was sent", "The day she was seen",
                   "Overdue or unsent, as her worklist tasks say", "Why she was referred")
    ALIGNMENTS = (ALIGN_TEXT,) * 8

    def __init__(self, parent=None):
        super().__init__(parent)
        self._marks: dict[int, str] = {}        # position in the rows given -> follow-up words
        self._follow_up: dict[int, str] = {}    # id(row) -> follow-up words
        self._bold = _bold_font()

    def set_referrals(self, referrals: Sequence[Referral], marks: dict[int, str]) -> None:
        self._marks = dict(marks)
        self.set_rows(referrals)

    def _prepare(self) -> None:  # the rows are still in the order given
        self._follow_up = {id(r): self._marks.get(n, "") for n, r in enumerate(self._rows)}

    def display(self, item: Referral, column: int) -> str:
        if column == self.COL_SPECIALTY:
            return words_for(SPECIALTY_WORDS, item.specialty)
        if column == self.COL_URGENCY:
            return words_for(URGENCY_WORDS, item.urgency)
        if column == self.COL_STATUS:
            return words_for(REFERRAL_STATUS_WORDS, item.status)
        if column == self.COL_CREATED:
            return written_date(item.created_on)
        if column == self.COL_SENT:
            return _day_or_nothing(item.sent_on)
        if column == self.COL_SEEN:
            return _day_or_nothing(item.seen_on)
        if column == self.COL_FOLLOW_UP:
            return self._follow_up.get(id(item), "")
        if column == self.COL_REASON:
            return item.reason
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_CREATED:
            return item.created_on
        if column == self.COL_SENT:
            return item.sent_on
        if column == self.COL_SEEN:
            return item.seen_on
        if column == self.COL_STATUS:
            return codes.REFERRAL_STATUSES.index(item.status) if item.status in codes.REFERRAL_STATUSES else None
        if column == self.COL_URGENCY:
            return codes.URGENCIES.index(item.urgency) if item.urgency in codes.URGENCIES else None
        if column == self.COL_FOLLOW_UP:
            return self._follow_up.get(id(item)) or None
        return self.display(item, column).casefold() or None

    def extra(self, item: Referral, column: int, role: Qt.ItemDataRole) -> Any:
        if column == self.COL_FOLLOW_UP and self._follow_up.get(id(item)):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(ATTENTION_TEXT.on())
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        if column == self.COL_URGENCY and item.urgency == "urgent" and role == Qt.ItemDataRole.FontRole:
            return self._bold
        if column == self.COL_REASON and role == Qt.ItemDataRole.ToolTipRole:
            return item.reason
        return None


# --- audit ------------------------------------------------------------------------------------

def audit_when(at: datetime) -> str:
    """`12-Apr-2026 14:03` in local time (stored times without a zone are UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    local = at.astimezone()
    return f"{written_date(local.date())} {local:%H:%M}"


def audit_value_words(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return f"{len(value)} entries"
        return ", ".join(audit_value_words(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {audit_value_words(v)}" for k, v in value.items()) or "(none)"
    if isinstance(value, str):
        try:
            return written_date(date.fromisoformat(value)) if len(value) == 10 else value
        except ValueError:
            return value
    return str(value)


def audit_change_lines(entry: AuditHistoryEntry) -> list[str]:
    """`field: old → new` for every field that changed (an addition from nothing, a removal to nothing)."""
    before, after = entry.before or {}, entry.after or {}
    lines = []
    for name in list(before) + [k for k in after if k not in before]:
        old, new = before.get(name), after.get(name)
        if name in before and name in after and old == new:
            continue
        label = name.replace("_", " ")
        if name not in before:
            lines.append(f"{label}: {ARROW} {audit_value_words(new)}")
        elif name not in after:
            lines.append(f"{label}: {audit_value_words(old)} {ARROW} (removed)")
        else:
            lines.append(f"{label}: {audit_value_words(old)} {ARROW} {audit_value_words(new)}")
    return lines


class AuditTableModel(RowTableModel):
    COL_WHEN, COL_WHO, COL_ACTION, COL_RECORD = range(4)
    HEADERS = ("When", "Who", "Action", "Record")
    ALIGNMENTS = (ALIGN_TEXT,) * 4

    def display(self, item: AuditHistoryEntry, column: int) -> str:
        if column == self.COL_WHEN:
            return audit_when(item.at)
        if column == self.COL_WHO:
            return item.user_name
        if column == self.COL_ACTION:
            return words_for(AUDIT_ACTION_WORDS, item.action)
        if column == self.COL_RECORD:
            return words_for(RECORD_TYPE_WORDS, item.record_type)
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_WHEN:
            at = item.at
            return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
        return self.display(item, column).casefold()


class AuditFilterProxy(RowSortProxy):
    """Shows the entries of one action (all when none is chosen)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.action: str | None = None

    def set_action(self, action: str | None) -> None:
        if action == self.action:
            return
        self.beginFilterChange()
        self.action = action
        self.endFilterChange(RowSortProxy.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        if self.action is None:
            return True
        item = self.sourceModel().index(source_row, 0, source_parent).data(ROW_ROLE)
        return item.action == self.action


# --- the pages --------------------------------------------------------------------------------

class EntryTable:
    """One list on a page: its model, a proxy, and the table view showing them."""

    def __init__(self, owner: QWidget, model: RowTableModel, object_name: str, accessible: str,
                 proxy: RowSortProxy | None = None):
        self.model = model
        self.proxy = proxy or RowSortProxy(owner)
        self.proxy.setSourceModel(model)
        view = list_table_view(object_name, accessible)
        view.horizontalHeader().setStretchLastSection(True)
        view.setWordWrap(False)
        view.setModel(self.proxy)
        view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # her record's order (oldest first) until asked
        self.view = view

    def selected(self) -> Any:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def row_of(self, item: Any) -> int:
        for n in range(self.proxy.rowCount()):
            if self.proxy.index(n, 0).data(ROW_ROLE) is item:
                return n
        return -1

    def select(self, item: Any) -> bool:
        row = self.row_of(item)
        if row >= 0:
            self.view.selectRow(row)
        return row >= 0

    def fit_columns(self, *columns: int) -> None:
        for column in columns:
            self.view.resizeColumnToContents(column)

    def fit_height(self, most_rows: int, least_rows: int = 2) -> None:
        """As tall as its rows (between least_rows and most_rows); more scroll."""
        view = self.view
        present = min(self.proxy.rowCount(), most_rows)
        rows = sum(view.rowHeight(r) for r in range(present))
        rows += max(least_rows - present, 0) * view.verticalHeader().defaultSectionSize()
        view.setFixedHeight(view.horizontalHeader().sizeHint().height() + rows + 2 * view.frameWidth())


def _button(text: str, object_name: str, accessible: str) -> QPushButton:
    return action_button(ButtonWords(text, object_name, accessible), tip=True)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("recordSectionTitle")
    return label


def _note(object_name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ListSection(RecordSection):
    """A page of lists: Edit and Entered in error act on the one selected entry of any of its tables."""

    add_requested = Signal(str)
    edit_requested = Signal(object)
    entered_in_error_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(f"section_{self.key}")
        self.view: PatientView | None = None
        self.tables: list[EntryTable] = []
        self.actions = EntryActions(
            self, self.selected_entry, tips=True,
            edit=ButtonWords(f"Edit{ELLIPSIS}", "editEntry", "Correct the selected entry"),
            error=ButtonWords(f"Entered in error{ELLIPSIS}", "enteredInError",
                              "Mark the selected entry as entered in error, with a reason"))
        self.edit_button, self.error_button = self.actions.edit_button, self.actions.error_button

    def add_table(self, table: EntryTable) -> EntryTable:
        self.tables.append(table)
        table.view.selectionModel().selectionChanged.connect(
            lambda *_args, t=table: self._on_table_selection_changed(t))
        table.view.doubleClicked.connect(self._on_table_double_clicked)
        return table

    def add_button(self, text: str, list_name: str, accessible: str) -> QPushButton:
        return self.actions.add_button(ButtonWords(text, f"add_{list_name}", accessible), list_name)

    def selected_entry(self) -> Any:
        for table in self.tables:
            item = table.selected()
            if item is not None:
                return item
        return None

    def _on_table_selection_changed(self, table: EntryTable) -> None:
        if table.selected() is not None:  # one selection on the page: the entry the buttons act on
            for other in self.tables:
                if other is not table and other.view.selectionModel().hasSelection():
                    other.view.clearSelection()
        self.update_buttons()

    def update_buttons(self) -> None:
        self.actions.update()

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        item = index.data(ROW_ROLE)
        if item is not None:
            self.edit_requested.emit(item)

    def _keep_selection(self, fill) -> None:
        """Refill the tables, keeping the entry selected (by its id) when it is still there."""
        chosen = self.selected_entry()
        fill()
        if chosen is not None and getattr(chosen, "id", None) is not None:
            for table in self.tables:
                for n in range(table.proxy.rowCount()):
                    item = table.proxy.index(n, 0).data(ROW_ROLE)
                    if type(item) is type(chosen) and item.id == chosen.id:
                        table.view.selectRow(n)
        self.update_buttons()


class PregnanciesSection(ListSection):
    """Her pregnancies, the breastfeeding after each, contraception, dental reviews, and about her."""

    key = "pregnancies"
    title = "Pregnancies and feeding"
    feeding_stop_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.pregnancies = self.add_table(EntryTable(self, PregnancyTableModel(self), "pregnancyTable",
                                                     "Her pregnancies"))
        self.feeding = self.add_table(EntryTable(self, FeedingTableModel(self), "feedingTable",
                                                 "Breastfeeding after each pregnancy"))
        self.contraception = self.add_table(EntryTable(self, ContraceptionTableModel(self), "contraceptionTable",
                                                       "Her contraception"))
        self.dental = self.add_table(EntryTable(self, DentalReviewTableModel(self), "dentalReviewTable",
                                                "Her dental reviews"))

        self.add_pregnancy_button = self.add_button(f"Add pregnancy{ELLIPSIS}", "pregnancies", "Add a pregnancy")
        self.add_feeding_button = self.add_button(f"Add feeding{ELLIPSIS}", "breastfeeding",
                                                  "Add how she fed after a pregnancy")
        self.feeding_stopped_button = _button(f"Record feeding stopped{ELLIPSIS}", "recordFeedingStopped",
                                              "Record the day of the last feed for the selected feeding entry")
        self.feeding_stopped_button.clicked.connect(self._on_feeding_stopped_button_clicked)
        self.add_contraception_button = self.add_button(f"Add contraception{ELLIPSIS}", "contraception",
                                                        "Record her contraception")
        self.add_dental_button = self.add_button(f"Add dental review{ELLIPSIS}", "dental_reviews",
                                                 "Record a dental review")

        # about her: the record's risk factors, history and plan
        self.about_box = QGroupBox("About her")
        self.about_box.setObjectName("aboutHerBox")
        about = QFormLayout(self.about_box)
        about.setVerticalSpacing(3)
        self.risk_label = _note("riskFactors")
        self.risk_label.setAccessibleName("Risk factors")
        self.history_label = _note("historyCodes")
        self.history_label.setAccessibleName("History")
        self.plan_label = _note("futurePregnancyPlan")
        self.plan_label.setAccessibleName("Future pregnancy plan")
        about.addRow("Risk factors:", self.risk_label)
        about.addRow("History:", self.history_label)
        about.addRow("Future pregnancy:", self.plan_label)
        about.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)

        buttons = QHBoxLayout()
        for button in (self.add_pregnancy_button, self.add_feeding_button, self.feeding_stopped_button,
                       self.edit_button, self.error_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.pregnancy_box = QGroupBox("Pregnancies")
        self.pregnancy_box.setObjectName("pregnancyBox")
        box = QVBoxLayout(self.pregnancy_box)
        box.addWidget(self.pregnancies.view)
        self.feeding_box = QGroupBox("Breastfeeding after each pregnancy")
        self.feeding_box.setObjectName("feedingBox")
        box = QVBoxLayout(self.feeding_box)
        box.addWidget(self.feeding.view)

        self.contraception_box = QGroupBox("Contraception")
        self.contraception_box.setObjectName("contraceptionBox")
        box = QVBoxLayout(self.contraception_box)
        box.addWidget(self.contraception.view)
        box.addWidget(self.add_contraception_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.dental_box = QGroupBox("Dental reviews")
        self.dental_box.setObjectName("dentalBox")
        box = QVBoxLayout(self.dental_box)
        box.addWidget(self.dental.view)
        box.addWidget(self.add_dental_button, 0, Qt.AlignmentFlag.AlignLeft)
        bottom = QHBoxLayout()
        bottom.addWidget(self.contraception_box, 3)
        bottom.addWidget(self.dental_box, 2)
        bottom.addWidget(self.about_box, 3)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.setSpacing(6)
        layout.addWidget(_heading(self.title))
        layout.addLayout(buttons)
        layout.addWidget(self.pregnancy_box)
        layout.addWidget(self.feeding_box)
        layout.addLayout(bottom)
        layout.addStretch(1)
        self.update_buttons()

    def show_view(self, view: PatientView) -> None:
        self.view = view
        record = view.record

        def fill() -> None:
            self.pregnancies.model.on = view.on
            self.pregnancies.model.set_rows(view.pregnancies)
            self.feeding.model.set_feeding(view.feeding, view.pregnancies, view.on)
            self.contraception.model.set_rows(sorted(record.contraception, key=lambda c: c.recorded_on))
            self.dental.model.on = view.on
            self.dental.model.window_days = view.settings.dental_review_window_days
            self.dental.model.set_rows(sorted(record.dental_reviews, key=lambda d: d.reviewed_on))

        self._keep_selection(fill)
        self.pregnancies.fit_columns(*range(PregnancyTableModel.COL_GESTATION))
        self.feeding.fit_columns(*range(FeedingTableModel.COL_STATUS))
        self.contraception.fit_columns(ContraceptionTableModel.COL_RECORDED, ContraceptionTableModel.COL_METHOD)
        self.dental.fit_columns(DentalReviewTableModel.COL_REVIEWED)
        self.pregnancies.fit_height(6)
        self.feeding.fit_height(6)
        self.contraception.fit_height(3, 1)
        self.dental.fit_height(3, 1)
        self.pregnancy_box.setTitle(f"Pregnancies ({len(view.pregnancies)})")
        self.feeding_box.setTitle(f"Breastfeeding after each pregnancy ({len(view.feeding)})")
        self.risk_label.setText(", ".join(words_for(RISK_FACTOR_WORDS, c) for c in record.risk_factors)
                                or "None recorded")
        self.history_label.setText(", ".join(words_for(HISTORY_WORDS, c) for c in record.history)
                                   or "None recorded")
        self.plan_label.setText(words_for(FUTURE_PREGNANCY_PLAN_WORDS, record.future_pregnancy_plan)
                                if record.future_pregnancy_plan else "Not recorded: ask")

    def update_buttons(self) -> None:
        super().update_buttons()
        chosen = self.selected_entry()
        self.feeding_stopped_button.setEnabled(
            isinstance(chosen, Feeding) and may_record_feeding_stopped(chosen))

    def _on_feeding_stopped_button_clicked(self) -> None:
        chosen = self.selected_entry()
        if isinstance(chosen, Feeding) and may_record_feeding_stopped(chosen):
            self.feeding_stop_requested.emit(chosen)


class BloodsSection(ListSection):
    key = "bloods"
    title = "Bloods"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.results = self.add_table(EntryTable(self, BloodTableModel(self), "bloodTable", "Her blood results"))
        self.add_result_button = self.add_button(f"Add blood result{ELLIPSIS}", "bloods", "Add a blood result")
        self.window_label = _note("bloodsWindow")
        buttons = QHBoxLayout()
        for button in (self.add_result_button, self.edit_button, self.error_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.addWidget(_heading(self.title))
        layout.addWidget(self.window_label)
        layout.addLayout(buttons)
        layout.addWidget(self.results.view, 1)
        self.update_buttons()

    def show_view(self, view: PatientView) -> None:
        self.view = view
        self._keep_selection(lambda: self.results.model.set_results(view.bloods, view.on, view.settings))
        self.results.fit_columns(*range(BloodTableModel.COL_WINDOW))
        window = view.settings.results_window_days
        self.window_label.setText(
            f"The medication gate reads results taken within {window} days of {written_date(view.on)}; "
            f"older ones are marked \"older than {window} days\". Thresholds are the clinic's settings.")


class HeightSection(ListSection):
    key = "heights"
    title = "Height"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.heights = self.add_table(EntryTable(self, HeightTableModel(self), "heightTable",
                                                 "Her height measurements"))
        self.add_height_button = self.add_button(f"Add height{ELLIPSIS}", "heights", "Add a height measurement")
        self.threshold_label = _note("heightThreshold")
        self.loss_label = _note("heightLoss")
        self.loss_label.setAccessibleName("Height loss")
        buttons = QHBoxLayout()
        for button in (self.add_height_button, self.edit_button, self.error_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.addWidget(_heading(self.title))
        layout.addWidget(self.threshold_label)
        layout.addWidget(self.loss_label)
        layout.addLayout(buttons)
        layout.addWidget(self.heights.view, 1)
        self.update_buttons()

    def show_view(self, view: PatientView) -> None:
        self.view = view
        losses = height_loss_messages(view)
        self._keep_selection(lambda: self.heights.model.set_heights(view.heights, losses))
        self.heights.fit_columns(*range(HeightTableModel.COL_LOSS))
        s = view.settings
        self.threshold_label.setText(
            f"Height loss is a loss of {written_number(s.height_loss_from_previous_cm)} cm or more from the "
            f"previous measurement, or {written_number(s.height_loss_from_first_cm)} cm or more from the first "
            "(the clinic's settings): look for a new vertebral fracture.")
        today = [t for t in view.overview.tasks if t.code == "HEIGHT-LOSS"]
        if today:
            self.loss_label.setText(f"<b>Height loss:</b> {today[0].message}")
            self.loss_label.setStyleSheet(f"color: {ALARM_TEXT.css()};")
        else:
            self.loss_label.setText("No height loss on her latest measurement.")
            self.loss_label.setStyleSheet("")


class EpdsSection(ListSection):
    key = "epds"
    title = "EPDS"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.screens = self.add_table(EntryTable(self, EpdsTableModel(self), "epdsTable",
                                                 "Her EPDS screens (Edinburgh Postnatal Depression Scale)"))
        self.add_screen_button = self.add_button(f"Add EPDS{ELLIPSIS}", "epds", "Add an EPDS screen")
        self.threshold_label = _note("epdsThreshold")
        self.self_harm_label = _note("selfHarmAlert")
        self.self_harm_label.setAccessibleName("Self-harm item")
        self.self_harm_label.setStyleSheet(
            "QLabel { color: #6d1510; background: #fdecea; border: 2px solid #c7554c; border-radius: 4px;"
            " padding: 6px; font-weight: bold; font-size: 11pt; }")
        self.mood_label = _note("moodTask")
        buttons = QHBoxLayout()
        for button in (self.add_screen_button, self.edit_button, self.error_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.addWidget(_heading(self.title))
        layout.addWidget(self.self_harm_label)
        layout.addWidget(self.threshold_label)
        layout.addWidget(self.mood_label)
        layout.addLayout(buttons)
        layout.addWidget(self.screens.view, 1)
        self.update_buttons()

    def show_view(self, view: PatientView) -> None:
        self.view = view
        self._keep_selection(lambda: self.screens.model.set_screens(view.epds, view.settings))
        self.screens.fit_columns(*range(EpdsTableModel.COL_THRESHOLD))
        self.threshold_label.setText(
            f"The clinic acts on an EPDS score of {view.settings.epds_high_score} or more (a clinic setting), "
            "and on any score above 0 for item 10 (self-harm).")
        harmed = [e for e in view.epds if e.self_harm_item > 0 and e.assessed_on <= view.on]
        if harmed:
            latest = max(harmed, key=lambda e: e.assessed_on)
            self.self_harm_label.setText(
                f"\u26a0 Self-harm: item 10 scored {latest.self_harm_item} on {written_date(latest.assessed_on)}"
                + (f" (and on {len(harmed) - 1} earlier screen{'s' if len(harmed) > 2 else ''})"
                   if len(harmed) > 1 else ""))
            self.self_harm_label.show()
        else:
            self.self_harm_label.clear()
            self.self_harm_label.hide()
        mood = [t for t in view.overview.tasks if t.code == "MOOD"]
        self.mood_label.setText(f"Mood task open: {mood[0].message}" if mood else "No mood task open.")


class ReferralsSection(ListSection):
    """Her referrals, and below them her letters (`LettersView`: drafts and issued letters)."""

    key = "referrals"
    title = "Referrals"
    status_change_requested = Signal(object)
    letters_changed = Signal(int)   # her patient id: a letter was issued (its referral is now sent)

    def close_section(self) -> None:
        self.letters.shut_down()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.referrals = self.add_table(EntryTable(self, ReferralTableModel(self), "referralTable",
                                                   "Her referrals"))
        self.new_button = self.add_button(f"New referral{ELLIPSIS}", "referrals", "Write a new referral")
        self.move_on_button = _button(f"Move on{ELLIPSIS}", "moveReferralOn",
                                      "Record the next step of the selected referral (sent, acknowledged, booked, seen...)")
        self.move_on_button.clicked.connect(self._on_move_on_button_clicked)
        self.write_letter_button = _button(f"Write letter{ELLIPSIS}", "writeLetter",
                                           "Draft the selected referral's letter and preview it below")
        self.write_letter_button.clicked.connect(self._on_write_letter_button_clicked)
        self.summary_label = _note("referralSummary")
        buttons = QHBoxLayout()
        for button in (self.new_button, self.move_on_button, self.write_letter_button, self.edit_button,
                       self.error_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.letters = LettersView(self)
        self.letters.letters_changed.connect(self.letters_changed)
        self.letters_box = QGroupBox("Letters")
        self.letters_box.setObjectName("lettersBox")
        letters_layout = QVBoxLayout(self.letters_box)
        letters_layout.setContentsMargins(6, 6, 6, 6)
        letters_layout.addWidget(self.letters)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.referrals.view, 1)
        # her referrals keep room for a header and three rows, whatever the letters below take
        row = self.fontMetrics().height() + 12
        self.referrals.view.setMinimumHeight(self.referrals.view.horizontalHeader().sizeHint().height() + 3 * row + 4)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.letters_box)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([240, 520])   # the letters and their preview get the room
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.addWidget(_heading(self.title))
        layout.addWidget(self.summary_label)
        layout.addWidget(self.splitter, 1)
        self.update_buttons()

    def set_actor(self, actor) -> None:
        """Who the letters are drafted, issued and printed as (the signed-in user)."""
        self.letters.set_actor(actor)
        self.update_buttons()

    def show_view(self, view: PatientView) -> None:
        self.view = view
        marks = referral_follow_up(view)
        self._keep_selection(lambda: self.referrals.model.set_referrals(view.referrals, marks))
        self.referrals.fit_columns(*range(ReferralTableModel.COL_REASON))
        opened = sum(1 for r in view.referrals if r.status in codes.OPEN_REFERRAL_STATUSES)
        overdue = sum(1 for m in marks.values() if m == REFERRAL_OVERDUE)
        text = f"{opened} open of {len(view.referrals)}"
        if overdue:
            text += f"; {overdue} overdue: chase {'it' if overdue == 1 else 'them'}"
        self.summary_label.setText(text + ".")
        self.letters.show_view(view)
        self.update_buttons()

    def update_buttons(self) -> None:
        super().update_buttons()
        chosen = self.selected_entry()
        self.move_on_button.setEnabled(chosen is not None and chosen.status in codes.OPEN_REFERRAL_STATUSES)
        letters = getattr(self, "letters", None)
        self.write_letter_button.setEnabled(
            chosen is not None and letters is not None and letters.may_write_letters and chosen.status == "draft")

    def _on_move_on_button_clicked(self) -> None:
        chosen = self.selected_entry()
        if chosen is not None:
            self.status_change_requested.emit(chosen)

    def _on_write_letter_button_clicked(self) -> None:
        chosen = self.selected_entry()
        if chosen is not None:
            self.letters.write_letter_for(chosen)


class AuditSection(RecordSection):
    """Who changed her record, when and what; read on demand (`audit_wanted`), shown by `set_audit`."""

    key = "audit"
    title = "Audit history"
    audit_wanted = Signal(int)   # her patient id: read patient_audit_history and call set_audit

    ALL_ACTIONS = "All actions"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("section_audit")
        self.view: PatientView | None = None
        self.entries: tuple[AuditHistoryEntry, ...] = ()
        self.table = EntryTable(self, AuditTableModel(self), "auditTable", "Her record's audit history",
                                proxy=AuditFilterProxy(self))
        self.table.view.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.action_filter = QComboBox()
        self.action_filter.setObjectName("auditActionFilter")
        self.action_filter.setAccessibleName("Show the entries of one action")
        self.action_filter.currentIndexChanged.connect(self._on_action_filter_current_index_changed)
        self.status_label = _note("auditStatus")
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("auditDetail")
        self.detail.setAccessibleName("What changed: field, old value and new value")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select an entry to see what changed.")

        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.action_filter)
        top.addWidget(self.status_label, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table.view)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.addWidget(_heading(self.title))
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._fill_filter()

    def show_view(self, view: PatientView) -> None:
        other_patient = self.view is None or self.view.patient_id != view.patient_id
        self.view = view
        if other_patient:
            self.set_audit(())
            self.status_label.setText("Reading her audit history\u2026")
        self.audit_wanted.emit(view.patient_id)

    def set_audit(self, entries: Sequence[AuditHistoryEntry]) -> None:
        """Show her audit entries (oldest first, as the service returns them)."""
        self.entries = tuple(entries)
        self.table.model.set_rows(self.entries)
        self._fill_filter()
        self.table.fit_columns(AuditTableModel.COL_WHEN, AuditTableModel.COL_WHO, AuditTableModel.COL_ACTION)
        n = len(self.entries)
        self.status_label.setText(f"{n} entr{'y' if n == 1 else 'ies'}.")
        self._on_table_selection_changed()

    def _fill_filter(self) -> None:
        wanted = self.action_filter.currentData()
        actions = sorted({e.action for e in self.entries}, key=lambda a: words_for(AUDIT_ACTION_WORDS, a))
        self.action_filter.blockSignals(True)
        self.action_filter.clear()
        self.action_filter.addItem(self.ALL_ACTIONS, None)
        for action in actions:
            self.action_filter.addItem(words_for(AUDIT_ACTION_WORDS, action), action)
        self.action_filter.setCurrentIndex(max(self.action_filter.findData(wanted), 0) if wanted else 0)
        self.action_filter.blockSignals(False)
        self.table.proxy.set_action(self.action_filter.currentData())

    def set_action_filter(self, action: str | None) -> None:
        index = self.action_filter.findData(action) if action else 0
        self.action_filter.setCurrentIndex(max(index, 0))

    def _on_action_filter_current_index_changed(self, _index: int) -> None:
        self.table.proxy.set_action(self.action_filter.currentData())
        self._on_table_selection_changed()

    def selected_entry(self) -> AuditHistoryEntry | None:
        return self.table.selected()

    def _on_table_selection_changed(self, *_args) -> None:
        entry = self.selected_entry()
        if entry is None:
            self.detail.clear()
            return
        heading = (f"{words_for(AUDIT_ACTION_WORDS, entry.action)}: {words_for(RECORD_TYPE_WORDS, entry.record_type)}"
                   f" by {entry.user_name} on {audit_when(entry.at)}")
        lines = audit_change_lines(entry) or ["(no values recorded)"]
        self.detail.setPlainText("\n".join([heading, ""] + lines))


#: The pages of this file, by section key (for `set_section_page`).
SECTION_PAGES: dict[str, type[RecordSection]] = {
    page.key: page
    for page in (PregnanciesSection, BloodsSection, HeightSection, EpdsSection, ReferralsSection, AuditSection)
}

__all__ = [
    "SECTION_PAGES", "ListSection", "EntryTable",
    "PregnanciesSection", "BloodsSection", "HeightSection", "EpdsSection", "ReferralsSection", "AuditSection",
    "PregnancyTableModel", "FeedingTableModel", "ContraceptionTableModel", "DentalReviewTableModel",
    "BloodTableModel", "HeightTableModel", "EpdsTableModel", "ReferralTableModel", "AuditTableModel",
    "AuditFilterProxy", "blood_flag", "blood_threshold", "feeding_status", "gestation_words",
    "height_loss_messages", "referral_follow_up", "audit_change_lines",
]

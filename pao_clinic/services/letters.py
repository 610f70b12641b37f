"""Referral letters: drafting, issuing and reprinting.

- `draft_letter` renders her letter for one referral with a DRAFT watermark and lists
  what it lacks (`letters.missing_items`); nothing is written.
- `issue_letter` refuses while the letter has no recipient address or she has neither
  NHS nor hospital number (ValidationError naming the field, nothing written); else, in
  one transaction, it stores the PDF bytes with their SHA-256 and author, sets the
  referral `sent` on the letter's date with a status-history row, and audits both.
- `reprint_letter` returns the stored bytes unchanged, and audits who printed which letter.
- `stored_letter` returns the stored bytes (checked against their SHA-256) for a preview,
  writing nothing; `record_letter_printed` / `record_letter_saved` audit that someone
  printed or saved an issued letter from the window ("printed" / "saved").
- `sent_letters` gives the worklist each referral's latest issued letter
  (`gate.SentLetter`), so REFERRAL-OVERDUE names the letter that was sent.

Nurses and consultants do all three; an admin does none.  An issued letter never
changes: a correction is a new letter for the same referral that says which letter it
replaces and why (`draft_correction`, then `issue_correction`); the letter it replaces
is listed as replaced by it (`IssuedLetter.replaced_by`) and reprints as it was issued.

Letterhead and the referral address book are clinic settings (`clinic_setting` rows):
`letterhead_name`, `letterhead_address`, `letterhead_phone`, `letterhead_email`,
`letterhead_logo`, and `referral_address.<specialty>` whose first line is the
department and the rest its address.  A specialty without an entry goes to its
department at the clinic's own address.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Iterator, Sequence

from peewee import JOIN, SqliteDatabase

from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.errors import ConflictError, NotFoundError, Problem, ValidationError
from pao_clinic.gate.worklist import SentLetter
from pao_clinic.letters.content import (
    Author, LetterContent, Letterhead, MissingItem, ReferralAddress, build_letter_content, issue_problems,
    missing_items,
)
from pao_clinic.letters.content import SPECIALTY_NAMES
from pao_clinic.record import Referral
from pao_clinic.record.codes import OPEN_REFERRAL_STATUSES, SPECIALTIES
from pao_clinic.record.dates import written_date
from pao_clinic.record.limits import LOGO_PATH_MAX_LENGTH, NOTE_MAX_LENGTH
from pao_clinic.record.shown_text import readable
from pao_clinic.services.records import add_clinical_entry
from pao_clinic.services.session import CLINICAL_ROLES, Actor, clinical_write, require_role
from pao_clinic.services.snapshots import load_patient_record, load_patient_records
from pao_clinic.storage.connection import database, write_transaction
from pao_clinic.storage.models import (
    AuditEntry, ClinicSetting, Patient, ReferralRow, ReferralStatusChange, StoredDocument, User,
)

LETTER_KIND = "referral_letter"
LETTERHEAD_SETTINGS = {
    "letterhead_name": "name", "letterhead_address": "address", "letterhead_phone": "phone",
    "letterhead_email": "email", "letterhead_logo": "logo_path",
}
ADDRESS_BOOK_PREFIX = "referral_address."


def _today() -> date:
    return date.today()


def _letterhead_from(stored: dict[str, str]) -> Letterhead:
    values = {field: (stored[name].strip() or None) for name, field in LETTERHEAD_SETTINGS.items() if name in stored}
    if not values.get("name"):
        values.pop("name", None)
    return Letterhead(**values)


def _address_book_from(stored: dict[str, str]) -> dict[str, ReferralAddress]:
    book = {}
    for name, value in stored.items():
        if not name.startswith(ADDRESS_BOOK_PREFIX):
            continue
        specialty = name[len(ADDRESS_BOOK_PREFIX):]
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        if specialty in SPECIALTIES and lines:
            book[specialty] = ReferralAddress(department=lines[0], address="\n".join(lines[1:]) or None)
    return book


def clinic_letterhead() -> Letterhead:
    """The clinic's letterhead from its settings (the defaults of `Letterhead` otherwise)."""
    rows = ClinicSetting.select(ClinicSetting.name, ClinicSetting.value).where(
        ClinicSetting.name.in_(list(LETTERHEAD_SETTINGS)))
    return _letterhead_from(dict(rows.tuples()))


def referral_address_book() -> dict[str, ReferralAddress]:
    """The clinic's referral address book: specialty -> department and address."""
    rows = ClinicSetting.select(ClinicSetting.name, ClinicSetting.value).where(
        ClinicSetting.name.startswith(ADDRESS_BOOK_PREFIX))
    return _address_book_from(dict(rows.tuples()))


@dataclass(frozen=True, slots=True)
class LetterSettings:
    """What every letter takes from the clinic's settings, read in one query."""

    letterhead: Letterhead
    address_book: dict[str, ReferralAddress]
    settings: ClinicSettings


def letter_settings() -> LetterSettings:
    """The letterhead, the referral address book and the thresholds, from one read of the clinic's settings."""
    stored = dict(ClinicSetting.select(ClinicSetting.name, ClinicSetting.value).tuples())
    return LetterSettings(_letterhead_from(stored), _address_book_from(stored), DEFAULT_SETTINGS.with_values(stored))


def _referral(record, referral_id: int) -> Referral:
    for referral in record.referrals:
        if referral.id == referral_id:
            return referral
    raise NotFoundError(f"no referral with id {referral_id} for this patient "
                        "(it may belong to another patient or have been entered in error)")


def _author(actor: Actor) -> Author:
    return Author(display_name=actor.display_name, role=actor.role)


def _content(actor: Actor, record, referral_id: int, clinic: LetterSettings, today: date,
             replaces: str | None = None, correction_reason: str | None = None) -> LetterContent:
    return build_letter_content(record, _referral(record, referral_id), author=_author(actor),
                                letterhead=clinic.letterhead, address_book=clinic.address_book,
                                settings=clinic.settings, today=today, replaces=replaces,
                                correction_reason=correction_reason)


def letter_content(actor: Actor, patient_id: int, referral_id: int, *, today: date | None = None,
                   replaces: str | None = None) -> LetterContent:
    """The content of her letter for one referral, as on `today` (nothing is written)."""
    require_role(actor, CLINICAL_ROLES, "Preparing a referral letter")
    return _content(actor, load_patient_record(patient_id), referral_id, letter_settings(), today or _today(),
                    replaces)


def draft_letter(actor: Actor, patient_id: int, referral_id: int, *,
                 today: date | None = None) -> tuple[bytes, list[MissingItem]]:
    """Her draft letter (watermarked DRAFT) and what it lacks; nothing is written."""
    content = letter_content(actor, patient_id, referral_id, today=today)
    return render_letter_pdf(content, draft=True), list(missing_items(content))


DRAFTS_READ_TOGETHER = 50    # women whose records one batch of draft letters reads at once


def draft_letters(actor: Actor, letters: Sequence[DueLetter], *, today: date | None = None
                  ) -> Iterator[tuple[DueLetter, bytes, list[MissingItem]]]:
    """Each letter's draft (watermarked DRAFT) and what it lacks, one at a time, as `draft_letter` makes them.

    For `letters --due` and batch printing: the clinic's settings are read once and the
    women's records fifty at a time (one query per list for all of them), so 100 letters
    run about 35 statements, not 1,600 (each a round trip on PostgreSQL).  A woman no
    longer in the caseload, or a referral no longer hers, raises NotFoundError when her
    letter's turn comes.  Nothing is written.
    """
    require_role(actor, CLINICAL_ROLES, "Preparing referral letters")   # at the call, not at the first letter
    return _drafts(actor, list(letters), today or _today())


def _drafts(actor: Actor, letters: list[DueLetter], today: date) -> Iterator[tuple[DueLetter, bytes, list[MissingItem]]]:
    clinic = letter_settings()
    for start in range(0, len(letters), DRAFTS_READ_TOGETHER):
        chunk = letters[start:start + DRAFTS_READ_TOGETHER]
        records = {r.id: r for r in load_patient_records({letter.patient_id for letter in chunk})}
        for letter in chunk:
            record = records.get(letter.patient_id)
            if record is None:
                raise NotFoundError(f"no patient with id {letter.patient_id}")
            content = _content(actor, record, letter.referral_id, clinic, today)
            yield letter, render_letter_pdf(content, draft=True), list(missing_items(content))


def _document_title(content: LetterContent) -> str:
    title = f"{content.title} ({content.referral_ref}), {written_date(content.letter_date)}"
    return title + ", correction" if content.replaces else title


@dataclass(frozen=True, slots=True)
class _Correction:
    """The letter a correction replaces: which one, whose, for which referral, in the words the new letter uses."""

    document_id: int
    patient_id: int
    referral_id: int
    letter_date: date | None
    words: str           # the letter "Referral to physiotherapy (ref1), 01-Jun-2025" (document 3)
    reason: str


def _letter_replaced(document_id: int, reason: str | None, *, patient_id: int | None = None,
                     referral_id: int | None = None, lock: bool = False) -> _Correction:
    """The issued letter a correction replaces, checked; ValidationError naming `replaces` or `reason`.

    It must be an issued letter (of hers, for the same referral, when those are given) that
    no other letter has replaced yet: a correction of a correction replaces the newest.
    With `lock` its row is locked first (PostgreSQL), so two corrections of one letter
    made at once cannot both be issued.
    """
    problems = []
    text = (reason or "").strip()
    if not text:
        problems.append(Problem("reason", "a correction says why the letter is corrected: give the reason"))
    elif len(text) > NOTE_MAX_LENGTH:
        problems.append(Problem("reason", f"the reason is {len(text)} characters; at most {NOTE_MAX_LENGTH}"))
    query = StoredDocument.select().where((StoredDocument.id == document_id) & (StoredDocument.kind == LETTER_KIND))
    if lock and not isinstance(database.obj, SqliteDatabase):   # SQLite's IMMEDIATE transaction already serialises
        query = query.for_update()
    old = query.first()
    if old is None or (patient_id is not None and old.patient_id != patient_id):
        raise ValidationError([Problem("replaces", f"no issued letter {document_id} of hers to replace")] + problems)
    mine = [row.id for row in StoredDocument.select(StoredDocument.id).where(
        (StoredDocument.patient == old.patient_id) & (StoredDocument.kind == LETTER_KIND))]
    details = _issue_details(mine)
    said = details.get(old.id, {})
    if said.get("referral_id") is None:
        problems.append(Problem("replaces", f"letter {old.id} does not record which referral it was for, so a "
                                            "correction cannot be made from it; write a new referral instead"))
    elif referral_id is not None and said["referral_id"] != referral_id:
        problems.append(Problem("replaces", f"letter {old.id} was written for another referral of hers; a correction "
                                            "is for the same referral as the letter it replaces"))
    newer = sorted(other for other, d in details.items() if d.get("replaces") == old.id)
    if newer:
        problems.append(Problem("replaces", f"letter {old.id} was already replaced by letter {newer[-1]}; "
                                            "correct that one instead"))
    if problems:
        raise ValidationError(problems)
    return _Correction(document_id=old.id, patient_id=old.patient_id, referral_id=said["referral_id"],
                       letter_date=_day(said.get("letter_date")),
                       words=f"the letter \"{old.title}\" (document {old.id})", reason=text)


def issue_letter(actor: Actor, patient_id: int, referral_id: int, *, today: date | None = None,
                 replaces: int | None = None, correction_reason: str | None = None) -> int:
    """Issue her letter for a draft referral; returns the stored document's id.

    A referral already sent takes a correction only: `replaces` names the letter it
    replaces (an issued letter of hers for this referral, not yet replaced) and
    `correction_reason` says why; the new letter says both, the referral keeps its sent
    date, and the letter replaced stays exactly as it was issued.
    """
    today = today or _today()
    with clinical_write(actor, CLINICAL_ROLES, "Issuing a referral letter") as audit:
        record = load_patient_record(patient_id)
        referral = _referral(record, referral_id)
        correction = None
        if replaces is not None:
            correction = _letter_replaced(replaces, correction_reason, patient_id=patient_id,
                                          referral_id=referral.id, lock=True)
            if correction.letter_date is not None and today < correction.letter_date:
                raise ValidationError([Problem("today", "a correction cannot be dated before the letter it replaces "
                                                        f"({written_date(correction.letter_date)})")])
        elif referral.status in ("declined", "cancelled", "seen"):
            raise ValidationError([Problem("status", f"the referral is {referral.status}; no letter can be issued "
                                                     "for it (a letter already issued for it may still be corrected)")])
        elif referral.status != "draft":
            raise ValidationError([Problem(
                "status", f"the referral was already sent on {written_date(referral.sent_on)}; "
                "a correction is a new letter that names the letter it replaces")])
        if referral.status == "draft" and today < referral.created_on:
            raise ValidationError([Problem("today", f"the letter cannot be dated before the referral was created "
                                           f"({written_date(referral.created_on)})")])
        content = _content(actor, record, referral.id, letter_settings(), today,
                           correction.words if correction else None, correction.reason if correction else None)
        problems = issue_problems(content)
        if problems:
            raise ValidationError(problems)
        pdf = render_letter_pdf(content, draft=False)
        digest = hashlib.sha256(pdf).hexdigest()
        document = StoredDocument.create(patient=patient_id, kind=LETTER_KIND, title=_document_title(content),
                                         content=pdf, sha256=digest, created_by=actor.user_id)
        audit.record("issue", "stored_document", document.id, patient_id=patient_id, after={
            "kind": LETTER_KIND, "title": document.title, "sha256": digest, "referral": referral.ref,
            "referral_id": referral.id, "heading": content.title, "letter_date": content.letter_date,
            "recipient": content.recipient.name, "replaces": replaces,
            "correction_reason": correction.reason if correction else None,
        })
        if referral.status == "draft":
            updated = (ReferralRow.update(status="sent", sent_on=today, version=ReferralRow.version + 1)
                       .where((ReferralRow.id == referral.id) & (ReferralRow.version == referral.version)
                              & (ReferralRow.status == "draft"))
                       .execute())
            if updated != 1:
                raise ConflictError("this referral was changed by someone else while the letter was prepared; "
                                    "nothing was issued. Reload it and issue the letter again.")
            ReferralStatusChange.create(referral=referral.id, status="sent", changed_on=today,
                                        changed_by=actor.user_id)
            audit.record("update", "referral", referral.id, patient_id=patient_id, before=referral,
                         after=replace(referral, status="sent", sent_on=today))
    return document.id


def draft_correction(actor: Actor, document_id: int, *, reason: str,
                     today: date | None = None) -> tuple[bytes, list[MissingItem]]:
    """The draft (watermarked DRAFT) of a correction of an issued letter, and what it lacks; nothing is written.

    The correction is her letter for the same referral as on `today`, from her record as it
    is now, saying which letter it replaces and `reason`; `issue_correction` issues it.
    """
    require_role(actor, CLINICAL_ROLES, "Preparing a corrected letter")
    correction = _letter_replaced(document_id, reason)
    content = _content(actor, load_patient_record(correction.patient_id), correction.referral_id, letter_settings(),
                       today or _today(), correction.words, correction.reason)
    return render_letter_pdf(content, draft=True), list(missing_items(content))


def issue_correction(actor: Actor, document_id: int, *, reason: str, today: date | None = None) -> int:
    """Issue a correction of an issued letter (`draft_correction`, issued); returns the new letter's id.

    A normal issue in every other way: checked, stored with its SHA-256 and author, audited
    (with the letter it replaces and the reason).  The letter replaced never changes.
    """
    require_role(actor, CLINICAL_ROLES, "Issuing a corrected letter")
    correction = _letter_replaced(document_id, reason)
    return issue_letter(actor, correction.patient_id, correction.referral_id, today=today, replaces=document_id,
                        correction_reason=reason)


def _checked_document(document_id: int) -> tuple[StoredDocument, bytes]:
    document = StoredDocument.get_or_none((StoredDocument.id == document_id) & (StoredDocument.kind == LETTER_KIND))
    if document is None:
        raise NotFoundError(f"no issued letter with id {document_id}")
    content = bytes(document.content)
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise ValidationError([Problem("content", f"the stored letter {document_id} does not match its "
                                       "SHA-256; it has been altered and must not be printed")])
    return document, content


def reprint_letter(actor: Actor, document_id: int) -> bytes:
    """The issued letter's stored bytes, exactly as issued; the reprint is audited."""
    with clinical_write(actor, CLINICAL_ROLES, "Reprinting a letter") as audit:
        document, content = _checked_document(document_id)
        audit.record("reprint", "stored_document", document.id, patient_id=document.patient_id,
                     after={"title": document.title, "sha256": document.sha256})
    return content


def stored_letter(actor: Actor, document_id: int) -> bytes:
    """The issued letter's stored bytes, checked against their SHA-256, to look at (nothing is written)."""
    require_role(actor, CLINICAL_ROLES, "Reading an issued letter")
    return _checked_document(document_id)[1]


def _record_letter_use(actor: Actor, document_id: int, action: str, what: str, detail: dict) -> None:
    with clinical_write(actor, CLINICAL_ROLES, what) as audit:
        document, _content = _checked_document(document_id)
        audit.record(action, "stored_document", document.id, patient_id=document.patient_id,
                     after={"title": document.title, "sha256": document.sha256, **detail})


def record_letter_printed(actor: Actor, document_id: int, *, copies: int = 1) -> None:
    """Audit that `actor` printed the issued letter (who, when, which letter, how many copies)."""
    _record_letter_use(actor, document_id, "printed", "Printing a letter", {"copies": copies})


def record_letter_saved(actor: Actor, document_id: int, *, file_name: str | None = None) -> None:
    """Audit that `actor` saved the issued letter as a PDF file (who, when, which letter, the file's name)."""
    file_name = readable(file_name)[:LOGO_PATH_MAX_LENGTH] if file_name else None  # a path, whatever its bytes
    _record_letter_use(actor, document_id, "saved", "Saving a letter", {"file": file_name})


def render_letter_pdf(content, *, draft: bool) -> bytes:
    """`letters.pdf.render_letter_pdf`, imported at the first letter: reportlab is not loaded at start."""
    from pao_clinic.letters.pdf import render_letter_pdf as render

    return render(content, draft=draft)


@dataclass(frozen=True, slots=True)
class IssuedLetter:
    """One issued letter of hers, as the letters view lists it."""

    id: int
    title: str
    sha256: str
    created_at: datetime
    created_by: str | None      # the author's display name
    referral_ref: str | None = None
    referral_id: int | None = None
    replaces: int | None = None     # the document id of the letter it replaces
    letter_date: date | None = None
    correction_reason: str | None = None   # why it replaced that letter
    replaced_by: int | None = None  # the document id of the letter that replaced it (then it must not be relied on)

    @property
    def sha256_short(self) -> str:
        return self.sha256[:12]


def _issue_details(document_ids) -> dict[int, dict]:
    """What each letter's issue audit entry says (referral, replaced letter, letter date), by document id."""
    if not document_ids:
        return {}
    rows = (AuditEntry.select(AuditEntry.record_id, AuditEntry.after)
            .where((AuditEntry.action == "issue") & (AuditEntry.record_type == "stored_document")
                   & AuditEntry.record_id.in_(list(document_ids))))
    details = {}
    for row in rows.tuples():
        try:
            details[row[0]] = json.loads(row[1] or "{}")
        except ValueError:
            details[row[0]] = {}
    return details


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def issued_letters(actor: Actor, patient_id: int) -> list[IssuedLetter]:
    """Her issued letters, oldest first, each with its referral and the letter it replaces."""
    require_role(actor, CLINICAL_ROLES, "Listing letters")
    query = (StoredDocument.select(StoredDocument.id, StoredDocument.title, StoredDocument.sha256,
                                   StoredDocument.created_at, User.display_name.alias("author"))
             .join(User, JOIN.LEFT_OUTER, on=(StoredDocument.created_by == User.id))
             .where((StoredDocument.patient == patient_id) & (StoredDocument.kind == LETTER_KIND))
             .order_by(StoredDocument.id))
    rows = list(query.dicts())
    details = _issue_details([r["id"] for r in rows])
    replaced_by = {said["replaces"]: document_id for document_id, said in sorted(details.items())
                   if said.get("replaces") is not None}
    letters = []
    for r in rows:
        said = details.get(r["id"], {})
        letters.append(IssuedLetter(
            id=r["id"], title=r["title"], sha256=r["sha256"], created_at=r["created_at"], created_by=r["author"],
            referral_ref=said.get("referral"), referral_id=said.get("referral_id"), replaces=said.get("replaces"),
            letter_date=_day(said.get("letter_date")), correction_reason=said.get("correction_reason"),
            replaced_by=replaced_by.get(r["id"])))
    return letters


def sent_letters(patient_ids=None) -> dict[int, dict[str, SentLetter]]:
    """Each patient's latest issued letter per referral ref (patient id -> ref -> letter), for the worklist.

    One query for the whole caseload (or the patients named); no role is needed: the
    worklist shows only the letter's title, date and document number.
    """
    query = (AuditEntry.select(AuditEntry.record_id, AuditEntry.patient, AuditEntry.after, StoredDocument.created_at)
             .join(StoredDocument, on=(AuditEntry.record_id == StoredDocument.id))
             .where((AuditEntry.action == "issue") & (AuditEntry.record_type == "stored_document")
                    & (StoredDocument.kind == LETTER_KIND))
             .order_by(AuditEntry.record_id))
    if patient_ids is not None:
        query = query.where(AuditEntry.patient.in_(list(patient_ids)))
    letters: dict[int, dict[str, SentLetter]] = {}
    for document_id, patient_id, after, created_at in query.tuples():
        try:
            said = json.loads(after or "{}")
        except ValueError:
            continue
        ref = said.get("referral")
        if not ref or patient_id is None:
            continue
        issued_on = _day(said.get("letter_date")) or (created_at.date() if created_at else None)
        if issued_on is None:
            continue
        heading = said.get("heading") or str(said.get("title") or "referral letter").split(f" ({ref})")[0]
        letters.setdefault(patient_id, {})[ref] = SentLetter(title=heading, issued_on=issued_on,
                                                            document_id=document_id)
    return letters


# --- the command line's letters: a referral found or made, a letter drafted or issued ---------

def open_referral_to(patient_id: int, specialty: str) -> Referral | None:
    """Her latest open referral (draft, sent, acknowledged or booked) to a specialty, if any."""
    record = load_patient_record(patient_id)
    open_ones = [r for r in record.referrals if r.specialty == specialty and r.status in OPEN_REFERRAL_STATUSES]
    return max(open_ones, key=lambda r: (r.created_on, r.id or 0)) if open_ones else None


def new_referral(actor: Actor, patient_id: int, *, specialty: str, urgency: str, reason: str,
                 today: date | None = None) -> Referral:
    """A draft referral of hers (validated, written and audited as any clinical entry)."""
    today = today or _today()
    return add_clinical_entry(actor, patient_id, Referral(ref="", specialty=specialty, urgency=urgency,
                                                          status="draft", created_on=today, reason=reason or ""),
                              today=today)


@dataclass(frozen=True, slots=True)
class PreparedLetter:
    """A letter the command line wrote: its referral, its PDF and what it lacks."""

    referral: Referral
    referral_created: bool
    pdf: bytes
    missing: tuple[MissingItem, ...]
    document_id: int | None          # the stored letter when it was issued


def prepare_letter(actor: Actor, patient_id: int, *, referral_id: int | None = None, specialty: str | None = None,
                   reason: str | None = None, urgency: str | None = None, issue: bool = False,
                   today: date | None = None) -> PreparedLetter:
    """Her letter for a referral given by id, or for her latest open referral to `specialty`.

    With `specialty` and no open referral to it, a draft referral is made first (`reason`
    is then required; `urgency` defaults to routine).  A `reason` or `urgency` that differs
    from an open referral's is refused: the letter would not say what was asked.  With
    `issue` the letter is issued; a refusal (no recipient address, no identifier) undoes
    the new draft referral too, so a refused command changes nothing.
    """
    require_role(actor, CLINICAL_ROLES, "Preparing a referral letter")
    today = today or _today()
    with write_transaction():
        created = False
        if referral_id is not None:
            referral = _referral(load_patient_record(patient_id), referral_id)
        else:
            referral = open_referral_to(patient_id, specialty)
            if referral is None:
                if not (reason or "").strip():
                    raise ValidationError([Problem("reason", f"she has no open referral to "
                                                   f"{SPECIALTY_NAMES[specialty].lower()}, so a new draft is made: "
                                                   "give the reason for referral")])
                referral = new_referral(actor, patient_id, specialty=specialty, urgency=urgency or "routine",
                                        reason=reason, today=today)
                created = True
            else:
                problems = []
                if reason is not None and reason.strip() != referral.reason.strip():
                    problems.append(Problem("reason", f"her open {SPECIALTY_NAMES[specialty].lower()} referral "
                                            f"{referral.id} ({referral.status}, {written_date(referral.created_on)}) "
                                            "has its own reason; leave the reason out to use it"))
                if urgency is not None and urgency != referral.urgency:
                    problems.append(Problem("urgency", f"her open referral {referral.id} is {referral.urgency}, "
                                            f"not {urgency}"))
                if problems:
                    raise ValidationError(problems)
        content = letter_content(actor, patient_id, referral.id, today=today)
        missing = tuple(missing_items(content))
        if not issue:
            return PreparedLetter(referral, created, render_letter_pdf(content, draft=True), missing, None)
        document_id = issue_letter(actor, patient_id, referral.id, today=today)
        pdf = bytes(StoredDocument.get_by_id(document_id).content)
        sent = _referral(load_patient_record(patient_id), referral.id)
    return PreparedLetter(sent, created, pdf, missing, document_id)


@dataclass(frozen=True, slots=True)
class DueLetter:
    """A draft referral waiting for its letter."""

    patient_id: int
    referral_id: int
    family_name: str
    given_name: str
    specialty: str


def due_letters(actor: Actor) -> list[DueLetter]:
    """Every draft referral in the caseload (not entered in error), by her name, then oldest first."""
    require_role(actor, CLINICAL_ROLES, "Listing letters due")
    query = (ReferralRow.select(ReferralRow.id, ReferralRow.patient, ReferralRow.specialty, Patient.family_name,
                                Patient.given_name)
             .join(Patient, on=(ReferralRow.patient == Patient.id))
             .where((ReferralRow.status == "draft") & ReferralRow.entered_in_error_at.is_null()
                    & Patient.entered_in_error_at.is_null()))
    rows = [DueLetter(patient_id=r["patient"], referral_id=r["id"], family_name=r["family_name"],
                      given_name=r["given_name"], specialty=r["specialty"]) for r in query.dicts()]
    return sorted(rows, key=lambda d: (d.family_name.casefold(), d.given_name.casefold(), d.patient_id,
                                       d.referral_id))


# --- the printed patient summary -----------------------------------------------------------

SUMMARY_RECORD = "patient_summary"


def summary_pdf(actor: Actor, patient_id: int, *, today: date | None = None) -> bytes:
    """Her patient summary as PDF bytes, as on `today`; the reading is audited (who printed whose summary)."""
    from pao_clinic.letters.summary import build_summary_content, render_summary_pdf

    today = today or _today()
    with clinical_write(actor, CLINICAL_ROLES, "Printing a patient summary") as audit:
        record = load_patient_record(patient_id)
        clinic = letter_settings()
        content = build_summary_content(record, today=today, prepared_by=actor.display_name,
                                        prepared_by_role=actor.role, letterhead=clinic.letterhead,
                                        settings=clinic.settings)
        pdf = render_summary_pdf(content)
        audit.record("read", SUMMARY_RECORD, patient_id, patient_id=patient_id, after={
            "document": "patient summary", "on": today, "sha256": hashlib.sha256(pdf).hexdigest()})
    return pdf


__all__ = [
    "DueLetter", "IssuedLetter", "LETTER_KIND", "LetterSettings", "PreparedLetter", "SUMMARY_RECORD",
    "clinic_letterhead", "draft_correction", "draft_letter", "draft_letters", "due_letters", "issue_correction",
    "issue_letter", "issued_letters", "letter_content", "letter_settings", "new_referral", "open_referral_to",
    "prepare_letter", "record_letter_printed", "record_letter_saved", "referral_address_book", "reprint_letter",
    "sent_letters", "stored_letter", "summary_pdf",
]

"""Referral letters: drafting, issuing and reprinting.

- `draft_letter` renders her letter for one referral with a DRAFT watermark and lists
  what it lacks (`letters.missing_items`); nothing is written.
- `issue_letter` refuses while the letter has no recipient address or she has neither
  NHS nor hospital number (ValidationError naming the field, nothing written); else, in
  one transaction, it stores the PDF bytes with their SHA-256 and author, sets the
  referral `sent` on the letter's date with a status-history row, and audits both.
- `reprint_letter` returns the stored bytes unchanged, and audits who printed which letter.

Nurses and consultants do all three; an admin does none.  An issued letter never
changes: a correction is a new letter, issued with `replaces=` the old one's id, that
says which letter it replaces.

Letterhead and the referral address book are clinic settings (`clinic_setting` rows):
`letterhead_name`, `letterhead_address`, `letterhead_phone`, `letterhead_email`,
`letterhead_logo`, and `referral_address.<specialty>` whose first line is the
department and the rest its address.  A specialty without an entry goes to its
department at the clinic's own address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime

from peewee import JOIN

from pao_clinic.errors import ConflictError, NotFoundError, Problem, ValidationError
from pao_clinic.letters.content import (
    Author, LetterContent, Letterhead, MissingItem, ReferralAddress, build_letter_content, issue_problems,
    missing_items,
)
from pao_clinic.letters.pdf import render_letter_pdf
from pao_clinic.record import Referral
from pao_clinic.record.codes import SPECIALTIES
from pao_clinic.record.dates import written_date
from pao_clinic.services.clinic import clinic_settings
from pao_clinic.services.session import CLINICAL_ROLES, Actor, clinical_write, require_role
from pao_clinic.services.snapshots import load_patient_record
from pao_clinic.storage.models import ClinicSetting, ReferralRow, ReferralStatusChange, StoredDocument, User

LETTER_KIND = "referral_letter"
LETTERHEAD_SETTINGS = {
    "letterhead_name": "name", "letterhead_address": "address", "letterhead_phone": "phone",
    "letterhead_email": "email", "letterhead_logo": "logo_path",
}
ADDRESS_BOOK_PREFIX = "referral_address."


def _today() -> date:
    return date.today()


def clinic_letterhead() -> Letterhead:
    """The clinic's letterhead from its settings (the defaults of `Letterhead` otherwise)."""
    rows = ClinicSetting.select().where(ClinicSetting.name.in_(list(LETTERHEAD_SETTINGS)))
    values = {LETTERHEAD_SETTINGS[row.name]: row.value.strip() or None for row in rows}
    if not values.get("name"):
        values.pop("name", None)
    return Letterhead(**values)


def referral_address_book() -> dict[str, ReferralAddress]:
    """The clinic's referral address book: specialty -> department and address."""
    book = {}
    for row in ClinicSetting.select().where(ClinicSetting.name.startswith(ADDRESS_BOOK_PREFIX)):
        specialty = row.name[len(ADDRESS_BOOK_PREFIX):]
        lines = [line.strip() for line in row.value.splitlines() if line.strip()]
        if specialty in SPECIALTIES and lines:
            book[specialty] = ReferralAddress(department=lines[0], address="\n".join(lines[1:]) or None)
    return book


def _referral(record, referral_id: int) -> Referral:
    for referral in record.referrals:
        if referral.id == referral_id:
            return referral
    raise NotFoundError(f"no referral with id {referral_id} for this patient "
                        "(it may belong to another patient or have been entered in error)")


def _author(actor: Actor) -> Author:
    return Author(display_name=actor.display_name, role=actor.role)


def letter_content(actor: Actor, patient_id: int, referral_id: int, *, today: date | None = None,
                   replaces: str | None = None) -> LetterContent:
    """The content of her letter for one referral, as on `today` (nothing is written)."""
    require_role(actor, CLINICAL_ROLES, "Preparing a referral letter")
    today = today or _today()
    record = load_patient_record(patient_id)
    return build_letter_content(record, _referral(record, referral_id), author=_author(actor),
                                letterhead=clinic_letterhead(), address_book=referral_address_book(),
                                settings=clinic_settings(), today=today, replaces=replaces)


def draft_letter(actor: Actor, patient_id: int, referral_id: int, *,
                 today: date | None = None) -> tuple[bytes, list[MissingItem]]:
    """Her draft letter (watermarked DRAFT) and what it lacks; nothing is written."""
    content = letter_content(actor, patient_id, referral_id, today=today)
    return render_letter_pdf(content, draft=True), list(missing_items(content))


def _document_title(content: LetterContent) -> str:
    return f"{content.title} ({content.referral_ref}), {written_date(content.letter_date)}"


def issue_letter(actor: Actor, patient_id: int, referral_id: int, *, today: date | None = None,
                 replaces: int | None = None) -> int:
    """Issue her letter for a draft referral; returns the stored document's id.

    A referral already sent takes a correction only: `replaces` names the letter it
    replaces (a stored document of hers) and the referral keeps its sent date.
    """
    today = today or _today()
    with clinical_write(actor, CLINICAL_ROLES, "Issuing a referral letter") as audit:
        record = load_patient_record(patient_id)
        referral = _referral(record, referral_id)
        replaced_text = None
        if replaces is not None:
            old = StoredDocument.get_or_none((StoredDocument.id == replaces) & (StoredDocument.patient == patient_id)
                                             & (StoredDocument.kind == LETTER_KIND))
            if old is None:
                raise ValidationError([Problem("replaces", f"no issued letter {replaces} of hers to replace")])
            replaced_text = f"the letter \"{old.title}\" (document {old.id})"
        if referral.status in ("declined", "cancelled", "seen"):
            raise ValidationError([Problem("status", f"the referral is {referral.status}; no letter can be issued for it")])
        if referral.status != "draft" and replaces is None:
            raise ValidationError([Problem(
                "status", f"the referral was already sent on {written_date(referral.sent_on)}; "
                "a correction is a new letter that names the letter it replaces")])
        if referral.status == "draft" and today < referral.created_on:
            raise ValidationError([Problem("today", f"the letter cannot be dated before the referral was created "
                                           f"({written_date(referral.created_on)})")])
        content = build_letter_content(record, referral, author=_author(actor), letterhead=clinic_letterhead(),
                                       address_book=referral_address_book(), settings=clinic_settings(),
                                       today=today, replaces=replaced_text)
        problems = issue_problems(content)
        if problems:
            raise ValidationError(problems)
        pdf = render_letter_pdf(content, draft=False)
        digest = hashlib.sha256(pdf).hexdigest()
        document = StoredDocument.create(patient=patient_id, kind=LETTER_KIND, title=_document_title(content),
                                         content=pdf, sha256=digest, created_by=actor.user_id)
        audit.record("issue", "stored_document", document.id, patient_id=patient_id, after={
            "kind": LETTER_KIND, "title": document.title, "sha256": digest, "referral": referral.ref,
            "recipient": content.recipient.name, "replaces": replaces,
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


def reprint_letter(actor: Actor, document_id: int) -> bytes:
    """The issued letter's stored bytes, exactly as issued; the reprint is audited."""
    with clinical_write(actor, CLINICAL_ROLES, "Reprinting a letter") as audit:
        document = StoredDocument.get_or_none(StoredDocument.id == document_id)
        if document is None:
            raise NotFoundError(f"no issued letter with id {document_id}")
        content = bytes(document.content)
        if hashlib.sha256(content).hexdigest() != document.sha256:
            raise ValidationError([Problem("content", f"the stored letter {document_id} does not match its "
                                           "SHA-256; it has been altered and must not be printed")])
        audit.record("reprint", "stored_document", document.id, patient_id=document.patient_id,
                     after={"title": document.title, "sha256": document.sha256})
    return content


@dataclass(frozen=True, slots=True)
class IssuedLetter:
    """One issued letter of hers, as the letters view lists it."""

    id: int
    title: str
    sha256: str
    created_at: datetime
    created_by: str | None      # the author's display name


def issued_letters(actor: Actor, patient_id: int) -> list[IssuedLetter]:
    """Her issued letters, oldest first."""
    require_role(actor, CLINICAL_ROLES, "Listing letters")
    query = (StoredDocument.select(StoredDocument.id, StoredDocument.title, StoredDocument.sha256,
                                   StoredDocument.created_at, User.display_name.alias("author"))
             .join(User, JOIN.LEFT_OUTER, on=(StoredDocument.created_by == User.id))
             .where((StoredDocument.patient == patient_id) & (StoredDocument.kind == LETTER_KIND))
             .order_by(StoredDocument.id))
    return [IssuedLetter(id=r["id"], title=r["title"], sha256=r["sha256"], created_at=r["created_at"],
                         created_by=r["author"]) for r in query.dicts()]


__all__ = ["IssuedLetter", "LETTER_KIND", "clinic_letterhead", "draft_letter", "issue_letter", "issued_letters",
           "letter_content", "referral_address_book", "reprint_letter"]

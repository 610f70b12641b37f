"""A referral's status moved on: sent, acknowledged, booked, seen, declined or cancelled.

`change_referral_status` is the one way a referral moves on by hand (issuing a letter
sends a draft referral too, in `services.letters`).  In one transaction (role check,
validation, write, audit; `session.clinical_write`) it updates the referral row, sets
its sent or seen date when the step is `sent` or `seen`, and keeps the step in the
referral's status history (`ReferralStatusChange`).  The referral as it would be is
checked by the record's own rules, so a problem is named at the referral's field.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pao_clinic.errors import ConflictError, NotFoundError, Problem, ValidationError
from pao_clinic.record import Referral
from pao_clinic.record.dates import written_date
from pao_clinic.record.shown_text import quoted
from pao_clinic.services.records import new_entry_problems
from pao_clinic.services.session import CLINICAL_ROLES, Actor, clinical_write
from pao_clinic.services.snapshots import load_patient_record
from pao_clinic.storage.models import ReferralRow, ReferralStatusChange

#: Where a referral may go from each status (seen, declined and cancelled are where it ends).
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "draft": ("sent", "cancelled"),
    "sent": ("acknowledged", "booked", "seen", "declined", "cancelled"),
    "acknowledged": ("booked", "seen", "declined", "cancelled"),
    "booked": ("seen", "declined", "cancelled"),
    "seen": (),
    "declined": (),
    "cancelled": (),
}


def _today() -> date:
    return date.today()


def next_statuses(status: str) -> tuple[str, ...]:
    """The statuses a referral in `status` may move on to (none once it has ended)."""
    return NEXT_STATUSES.get(status, ())


def referral_status_history(referral_id: int) -> tuple[tuple[str, date], ...]:
    """Each recorded step of a referral: (status, the day it happened), oldest first."""
    rows = (ReferralStatusChange.select(ReferralStatusChange.status, ReferralStatusChange.changed_on)
            .where(ReferralStatusChange.referral == referral_id)
            .order_by(ReferralStatusChange.changed_on, ReferralStatusChange.id))
    return tuple((row.status, row.changed_on if isinstance(row.changed_on, date)
                  else date.fromisoformat(str(row.changed_on))) for row in rows)


def _moved_on(referral: Referral, status: str, on: date) -> Referral:
    if status == "sent":
        return replace(referral, status=status, sent_on=on)
    if status == "seen":
        return replace(referral, status=status, seen_on=on)
    return replace(referral, status=status)


def change_referral_status(actor: Actor, referral_id: int, status: str, on: date, *, expected_version: int,
                           today: date | None = None) -> Referral:
    """Move one referral on to `status` on the day `on`, if nobody else changed it since `expected_version`."""
    today = today or _today()
    with clinical_write(actor, CLINICAL_ROLES, "Moving a referral on") as audit:
        row = ReferralRow.get_or_none((ReferralRow.id == referral_id) & ReferralRow.entered_in_error_at.is_null())
        if row is None:
            raise NotFoundError(f"no referral with id {referral_id} (it may have been marked as entered in error)")
        record = load_patient_record(row.patient_id)
        referral = next(r for r in record.referrals if r.id == referral_id)
        if referral.version != expected_version:
            raise _conflict()
        allowed = next_statuses(referral.status)
        if status not in allowed:
            if allowed:
                then = ", ".join(allowed)
                message = f"a referral that is {referral.status} moves on to {then}, not {quoted(str(status))}"
            else:
                message = f"the referral is {referral.status}: it cannot move on any more"
            raise ValidationError([Problem("status", message)])
        problems = []
        if on > today:
            problems.append(Problem("on", f"{written_date(on)} is in the future (today is {written_date(today)})"))
        earlier = [day for _s, day in referral_status_history(referral_id)] + [referral.created_on]
        earlier += [d for d in (referral.sent_on, referral.seen_on) if d is not None]
        latest = max(earlier)
        if on < latest:
            problems.append(Problem("on", f"{written_date(on)} is before the referral's last step "
                                          f"({written_date(latest)}); a referral moves on forwards in time"))
        after = _moved_on(referral, status, on)
        others = replace(record, referrals=tuple(r for r in record.referrals if r.id != referral_id))
        problems += [Problem("on" if p.path in ("sent_on", "seen_on") else p.path, p.message)
                     for p in new_entry_problems(others, after, today=today)]
        if problems:
            raise ValidationError(problems)
        updated = (ReferralRow.update(status=after.status, sent_on=after.sent_on, seen_on=after.seen_on,
                                      version=ReferralRow.version + 1)
                   .where((ReferralRow.id == referral_id) & (ReferralRow.version == expected_version))
                   .execute())
        if updated != 1:
            raise _conflict()
        ReferralStatusChange.create(referral=referral_id, status=status, changed_on=on, changed_by=actor.user_id)
        saved = replace(after, id=referral_id, version=expected_version + 1)
        audit.record("status_change", "referral", referral_id, patient_id=row.patient_id, before=referral,
                     after=saved)
    return saved


def _conflict() -> ConflictError:
    return ConflictError("this referral was changed by someone else after you opened it; nothing was saved. "
                         "Reload it to see their change, then move it on again.")

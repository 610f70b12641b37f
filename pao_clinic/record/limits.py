"""Every limit on the size of what a record holds, in one place.

The core checks these (`record/validation.py`) before anything reaches a database, so
that SQLite and PostgreSQL give the same answer: SQLite stores a 100,000-letter name
without a word while PostgreSQL refuses anything longer than its column. The database
columns (`storage/models.py`) must be at least as wide as these limits; a test
(`tests/test_limits.py`) keeps the two from drifting apart. `docs/exchange-format.md`
lists them under "Limits".

Lengths count characters (Unicode code points), as Python's `len` and PostgreSQL's
`varchar(n)` do.
"""

from __future__ import annotations

# -- lengths of text, in characters ------------------------------------------------

REF_MAX_LENGTH = 64  # a patient's ref and every entry's ref (and the pregnancy refs that point at one)
NHS_NUMBER_MAX_LENGTH = 16  # as written: 10 digits and a few spaces ("943 476 5919" is 12)
HOSPITAL_NUMBER_MAX_LENGTH = 20
NAME_MAX_LENGTH = 120  # family and given names, a GP's name, the clinician who decided, a user's display name
USER_NAME_MAX_LENGTH = 64  # the name a user signs in with
POSTCODE_MAX_LENGTH = 16  # a UK postcode has at most 8; room for other countries' codes
PHONE_MAX_LENGTH = 40  # room for an international number with an extension
EMAIL_MAX_LENGTH = 254  # the longest address mail can deliver to (RFC 5321)
PRACTICE_MAX_LENGTH = 200  # a GP practice's name
ADDRESS_MAX_LENGTH = 500  # a postal address, lines and all
METHOD_MAX_LENGTH = 120  # a contraception method, in a few words
NOTE_MAX_LENGTH = 4000  # free clinical text: a fracture's note, a referral's reason, an override's reason

# The longest text allowed in each text field of the record, by its place in a
# PatientRecord: "<field>" for her own fields, "<group>.<field>" for contact and GP
# details, "<list>.<field>" for the entries of a clinical list. Codes are not here:
# a code is checked against its code list, which bounds its length.
TEXT_LIMITS: dict[str, int] = {
    "ref": REF_MAX_LENGTH,
    "nhs_number": NHS_NUMBER_MAX_LENGTH,
    "hospital_number": HOSPITAL_NUMBER_MAX_LENGTH,
    "family_name": NAME_MAX_LENGTH,
    "given_name": NAME_MAX_LENGTH,
    "contact.address": ADDRESS_MAX_LENGTH,
    "contact.postcode": POSTCODE_MAX_LENGTH,
    "contact.phone": PHONE_MAX_LENGTH,
    "contact.email": EMAIL_MAX_LENGTH,
    "gp.name": NAME_MAX_LENGTH,
    "gp.practice": PRACTICE_MAX_LENGTH,
    "gp.address": ADDRESS_MAX_LENGTH,
    "contraception.method": METHOD_MAX_LENGTH,
    "pregnancies.ref": REF_MAX_LENGTH,
    "breastfeeding.pregnancy": REF_MAX_LENGTH,
    "fractures.ref": REF_MAX_LENGTH,
    "fractures.pregnancy": REF_MAX_LENGTH,
    "fractures.note": NOTE_MAX_LENGTH,
    "dexa.ref": REF_MAX_LENGTH,
    "medications.ref": REF_MAX_LENGTH,
    "referrals.ref": REF_MAX_LENGTH,
    "referrals.reason": NOTE_MAX_LENGTH,
    "decisions.by": NAME_MAX_LENGTH,
    "decisions.override_reason": NOTE_MAX_LENGTH,
}

# -- text typed outside the record ------------------------------------------------
# Checked by the services that take it (`validation.text_problem`): the same answer on
# both backends, and nothing a letter or a message cannot show.

ENTERED_IN_ERROR_REASON_MAX_LENGTH = NOTE_MAX_LENGTH  # why an entry was entered in error
LETTERHEAD_LINE_MAX_LENGTH = 120  # the clinic's name, phone, e-mail, a department, each address line
ADDRESS_MAX_LINES = 8  # the lines of the clinic's or a department's address that fit the letterhead
LOGO_PATH_MAX_LENGTH = 4096  # the path of the letterhead's logo file (Linux's PATH_MAX)
SETTING_VALUE_MAX_LENGTH = 40  # a gate threshold typed as text ("30", "2.25")

# -- whole numbers -------------------------------------------------------------------
# Every whole number of the record has a range far inside a 32-bit database integer.

PREGNANCY_NUMBER_RANGE = (1, 30)  # (safer choice) a 31st pregnancy is a typing error
GENANT_GRADE_RANGE = (1, 3)
EPDS_SCORE_RANGE = (0, 30)
EPDS_SELF_HARM_RANGE = (0, 3)

# -- measurements --------------------------------------------------------------------

BMD_RANGE = (0.2, 2.0)  # g/cm²
SCORE_RANGE = (-8.0, 6.0)  # T- and Z-scores
HEIGHT_RANGE_CM = (120.0, 220.0)

# -- ages ----------------------------------------------------------------------------

MIN_AGE_AT_PREGNANCY = 12
MAX_AGE_AT_PREGNANCY = 60
OLDEST_AGE = 120  # (safer choice) an older date of birth is a typing error

# -- dates that may lie ahead of today (clinical judgement) --------------------------
# Every other date records something that has happened and cannot be after today.

# A due date is at most 40 weeks after conception and a pregnancy is known weeks after
# it: 300 days (about 10 months, 43 weeks) ahead leaves room for dating by the last period.
DUE_DATE_MAX_DAYS_AHEAD = 300
# A plan to stop breastfeeding reaches at most a few years ahead; 5 years is generous.
PLANNED_STOP_MAX_YEARS_AHEAD = 5
# A treatment decision is reviewed within a few years (a drug holiday is reviewed at 3 to 5).
REVIEW_MAX_YEARS_AHEAD = 5

"""Referral letters: templates per specialty, the letter's content, and its PDF.

Plain Python with reportlab; never imports Qt.  `check_templates()` is called at start
by the app and the command line; `build_letter_content()` turns her record and a
referral into a `LetterContent`; `render_letter_pdf()` turns that into PDF bytes.
"""

from pao_clinic.letters.content import (
    Author, LetterContent, Letterhead, MissingItem, Recipient, ReferralAddress, SPECIALTY_NAMES,
    build_letter_content, issue_problems, missing_items,
)
from pao_clinic.letters.templates import PLACEHOLDERS, TemplateError, check_templates, load_template

__all__ = [
    "Author", "LetterContent", "Letterhead", "MissingItem", "PLACEHOLDERS", "Recipient", "ReferralAddress",
    "SPECIALTY_NAMES", "TemplateError", "build_letter_content", "check_templates", "issue_problems",
    "load_template", "missing_items", "render_letter_pdf",
]


def __getattr__(name: str):
    """`render_letter_pdf` is imported when first used, so importing the letters does not load reportlab."""
    if name == "render_letter_pdf":
        from pao_clinic.letters.pdf import render_letter_pdf

        return render_letter_pdf
    raise AttributeError(f"module 'pao_clinic.letters' has no attribute {name!r}")

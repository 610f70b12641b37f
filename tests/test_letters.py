"""Referral letters read back as a reader would: pypdf text, page by page.

Rendering tests build her record as plain values (no database); the service tests
(drafting, issuing, reprinting, refusals) run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from pao_clinic import services
from pao_clinic.errors import NotFoundError, PermissionDenied, ValidationError
from pao_clinic.letters import (
    Author, Letterhead, ReferralAddress, TemplateError, build_letter_content, check_templates, missing_items,
    render_letter_pdf,
)
from pao_clinic.letters import templates as letter_templates
from pao_clinic.letters.content import GATE_SPECIALTIES, issue_problems
from pao_clinic.letters.templates import NOT_RECORDED, PLACEHOLDERS, parse_template
from pao_clinic.record import (
    BloodResult, Contact, DexaScan, EpdsScreen, Feeding, Fracture, GeneralPractitioner, Medication,
    PatientRecord, Pregnancy, Referral, codes,
)
from pao_clinic.record.dates import written_date
from pao_clinic.services import letters as letter_service
from pao_clinic.storage.models import AuditEntry, ClinicSetting, ReferralRow, ReferralStatusChange, StoredDocument

# The day every letter is written on (a fixed day passed as today=; every date below derives from it).
ON = date(2025, 6, 1)
LETTERHEAD = Letterhead(name="Leeds PAO Clinic", address="Chapel Allerton Hospital\nLeeds LS7 4SA",
                        phone="0113 392 0000", email="pao.clinic@example.nhs.uk")
AUTHOR = Author(display_name="Dr Mei Chen", role="consultant")
HEADING = "WIŚNIEWSKA-O'BRIEN, Łucja"


def days_ago(n: int) -> date:
    return ON - timedelta(days=n)


def lucja(**overrides) -> PatientRecord:
    values = dict(
        ref="pt00001", family_name="Wiśniewska-O'Brien", given_name="Łucja", date_of_birth=date(1991, 4, 12),
        nhs_number="9434765919", hospital_number="RX12345",
        contact=Contact(address="12 Rowan Close\nLeeds", postcode="LS6 2AB", phone="0113 496 0000"),
        gp=GeneralPractitioner(name="Dr Siobhán Ní Bhriain", practice="Headingley Surgery",
                               address="1 North Lane\nLeeds LS6 3HU"),
        risk_factors=("heparin",),
        pregnancies=(Pregnancy(ref="preg1", number=1, outcome="live_birth", ended_on=days_ago(120),
                               delivery_mode="vaginal"),),
        breastfeeding=(Feeding(pregnancy="preg1", breastfed=True, started_on=days_ago(120)),),
        fractures=(
            Fracture(ref="fx1", site="l1", identified_on=days_ago(80), imaging="mri", trauma="none", genant_grade=2),
            Fracture(ref="fx2", site="t12", identified_on=days_ago(78), imaging="mri", trauma="none", genant_grade=1),
            Fracture(ref="fx3", site="l3", identified_on=days_ago(20), imaging="xray", trauma="low", genant_grade=3),
        ),
        dexa=(DexaScan(ref="dexa1", scanned_on=days_ago(70), site="lumbar_spine", bmd=0.812, t_score=-2.9, z_score=-2.7),
              DexaScan(ref="dexa2", scanned_on=days_ago(70), site="total_hip", bmd=0.801, t_score=-1.8, z_score=-1.6)),
        bloods=(BloodResult(taken_on=days_ago(30), test="adjusted_calcium", value=2.31, unit="mmol/L"),
                BloodResult(taken_on=days_ago(200), test="vitamin_d_25oh", value=38.0, unit="nmol/L")),
        medications=(Medication(ref="med1", drug="calcium_vitamin_d", started_on=days_ago(75)),),
        referrals=(physio_referral(),),
    )
    values.update(overrides)
    return PatientRecord(**values)


def physio_referral(**overrides) -> Referral:
    values = dict(ref="ref1", specialty="physiotherapy", urgency="urgent", status="draft", created_on=days_ago(2),
                  reason="Back pain on lifting her baby")
    values.update(overrides)
    return Referral(**values)


def content_for(record: PatientRecord, referral: Referral | None = None, **kwargs):
    kwargs.setdefault("author", AUTHOR)
    kwargs.setdefault("letterhead", LETTERHEAD)
    return build_letter_content(record, referral or record.referrals[0], today=ON, **kwargs)


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def fracture_row(f: Fracture) -> str:
    """A fracture's first four cells as pypdf reads a table row: one cell per line."""
    site = f.site.upper() if f.site in codes.VERTEBRAL_LEVELS else " ".join(x for x in (f.side, f.site) if x).capitalize()
    imaging = {"mri": "MRI", "xray": "X-ray", "ct": "CT", "dexa_vfa": "DEXA VFA"}[f.imaging]
    return "\n".join([site, written_date(f.identified_on), imaging, str(f.genant_grade or "-")])


# --- templates ----------------------------------------------------------------------------

def test_every_specialty_has_a_template_and_the_shipped_templates_pass_the_start_check():
    checked = check_templates()
    assert tuple(checked) == codes.SPECIALTIES
    for specialty, template in checked.items():
        assert template.sections["opening"] and template.sections["request"], specialty
        assert template.placeholders() <= set(PLACEHOLDERS)


@pytest.mark.parametrize("specialty, words", [
    ("physiotherapy", ("return safely to movement", "baby")),
    ("occupational_therapy", ("daily activities", "baby")),
    ("nutrition", ("calcium", "vitamin D", "diet")),
    ("mental_health", ("perinatal mood", "{latest_epds}")),
])
def test_each_template_says_what_the_specialist_is_asked_to_do(specialty, words):
    text = (Path(letter_templates.__file__).parents[2] / "resources" / "letters" / f"{specialty}.txt").read_text("utf-8")
    for word in words:
        assert word in text, (specialty, word)


def test_a_template_with_an_unknown_placeholder_is_rejected_naming_the_file_and_placeholder():
    text = "[opening]\nDear {recipient_name}, her shoe size is {shoe_size}.\n[request]\n- Please see her.\n"
    with pytest.raises(TemplateError) as refused:
        parse_template("physiotherapy", text, "letters/physiotherapy.txt")
    assert "letters/physiotherapy.txt" in str(refused.value) and "{shoe_size}" in str(refused.value)


@pytest.mark.parametrize("text, words", [
    ("[opening]\nHello.\n", "[request] is missing"),
    ("Hello.\n[opening]\nHi.\n[request]\n- x\n", "before the first section"),
    ("[opening]\nHi { there.\n[request]\n- x\n", "stray '{'"),
    ("[opening]\nHi.\n[closing]\nBye.\n[request]\n- x\n", "unknown section [closing]"),
])
def test_a_malformed_template_is_rejected_with_the_fault(text, words):
    with pytest.raises(TemplateError) as refused:
        parse_template("gp", text, "letters/gp.txt")
    assert words in str(refused.value) and "letters/gp.txt" in str(refused.value)


def test_the_start_check_stops_on_a_broken_template_file(tmp_path, monkeypatch):
    shipped = Path(letter_templates.__file__).parents[2] / "resources"
    (tmp_path / "letters").mkdir()
    for specialty in codes.SPECIALTIES:
        (tmp_path / "letters" / f"{specialty}.txt").write_text(
            (shipped / "letters" / f"{specialty}.txt").read_text("utf-8"), "utf-8")
    broken = tmp_path / "letters" / "nutrition.txt"
    broken.write_text(broken.read_text("utf-8") + "\n- Please record her {calcium_score}.\n", "utf-8")
    monkeypatch.setattr(letter_templates._resources, "files", lambda package: tmp_path)
    with pytest.raises(TemplateError) as refused:
        check_templates()
    assert "letters/nutrition.txt" in str(refused.value) and "{calcium_score}" in str(refused.value)


# --- what the letter says ------------------------------------------------------------------

def test_identifiers_and_page_n_of_m_are_on_every_page():
    pages = pages_of(render_letter_pdf(content_for(lucja()), draft=False))
    assert len(pages) >= 2
    for n, text in enumerate(pages, start=1):
        assert f"{HEADING}   DOB 12-Apr-1991   NHS 943 476 5919" in text, n
        assert f"Page {n} of {len(pages)}" in text, n


def test_every_fracture_and_dexa_value_is_in_the_letter_z_score_first():
    record = lucja()
    text = "\n".join(pages_of(render_letter_pdf(content_for(record), draft=False)))
    for fracture in record.fractures:
        assert fracture_row(fracture) in text, fracture
    assert "L1\n13-Mar-2025\nMRI\n2\n5 weeks\npresentation" in text
    assert "L3\n12-May-2025\nX-ray\n3\n14 weeks\nrepeat" in text     # the gate's repeat fracture
    for scan in record.dexa:
        site = scan.site.replace("_", " ").capitalize()
        assert f"{written_date(scan.scanned_on)}\n{site}\n{scan.z_score}" in text  # Z-score straight after the site
        assert f"{scan.t_score}\n{scan.bmd:.3f}" in text
    assert "below the expected\nrange for age" in text and "within the expected\nrange for age" in text


def test_the_demographics_gp_referrer_urgency_and_distribution_are_shown():
    text = "\n".join(pages_of(render_letter_pdf(content_for(lucja()), draft=False)))
    for expected in (f"Name\n{HEADING}", "Date of birth\n12-Apr-1991 (age 34)", "NHS number\n943 476 5919",
                     "Hospital number\nRX12345", "12 Rowan Close\nLeeds\nLS6 2AB", "Headingley Surgery",
                     "URGENT REFERRAL", "Urgency: urgent", "Back pain on lifting her baby",
                     "Name\nDr Mei Chen\nRole\nConsultant\nClinic\nLeeds PAO Clinic",
                     "Copy to\nGP: Dr Siobhán Ní Bhriain, Headingley Surgery, 1 North Lane, Leeds LS6 3HU",
                     "Copy to\nPatient: Łucja Wiśniewska-O'Brien, 12 Rowan Close, Leeds, LS6 2AB",
                     "Yours sincerely,", "Consultant, Leeds PAO Clinic"):
        assert expected in text, expected


def test_unicode_names_extract_exactly():
    nguyen = lucja(family_name="Nguyễn", given_name="Thị Mai")
    author = Author(display_name="Nguyễn Thị Mai", role="nurse")
    text = "\n".join(pages_of(render_letter_pdf(content_for(lucja(), author=author), draft=False)))
    assert "Łucja Wiśniewska-O'Brien" in text and HEADING in text
    assert "Dr Siobhán Ní Bhriain" in text
    assert "Nguyễn Thị Mai" in text                 # the signature
    text = "\n".join(pages_of(render_letter_pdf(content_for(nguyen), draft=False)))
    assert "NGUYỄN, Thị Mai" in text and "Thị Mai Nguyễn" in text


def test_markup_characters_in_a_reason_print_literally():
    reason = "Pain < 5/10 & <b>worse</b> at night"
    record = lucja(referrals=(physio_referral(reason=reason),))
    text = "\n".join(pages_of(render_letter_pdf(content_for(record), draft=False)))
    assert reason in text


def test_a_known_placeholder_without_a_value_prints_not_recorded_and_is_listed_as_missing():
    record = lucja(referrals=(physio_referral(specialty="mental_health"),))
    content = content_for(record)
    text = "\n".join(pages_of(render_letter_pdf(content, draft=True)))
    assert f"Edinburgh Postnatal Depression Scale (EPDS) score: {NOT_RECORDED};" in text
    assert {"latest_epds", "epds_self_harm_item"} <= {m.field for m in missing_items(content)}
    screened = replace(record, epds=(EpdsScreen(assessed_on=days_ago(5), score=15, self_harm_item=1),))
    content = content_for(screened)
    text = " ".join(" ".join(pages_of(render_letter_pdf(content, draft=True))).split())
    assert f"score: 15 on {written_date(days_ago(5))}; item 10 (thoughts of self-harm) scored: 1." in text
    assert "latest_epds" not in {m.field for m in missing_items(content)}


def test_results_older_than_the_window_are_marked_with_their_date():
    content = content_for(lucja())
    text = "\n".join(pages_of(render_letter_pdf(content, draft=False)))
    assert f"25-OH vitamin D\n38.0 nmol/L\n{written_date(days_ago(200))} (older than 90 days)" in text
    assert f"Adjusted calcium\n2.31 mmol/L\n{written_date(days_ago(30))}\n" in text
    assert [str(m) for m in missing_items(content) if m.field == "bloods"] == [
        f"bloods: 25-OH vitamin D ({written_date(days_ago(200))}) is older than 90 days"]


def test_a_forty_fracture_record_flows_onto_several_pages_with_the_table_header_repeated():
    sites = [(level, None) for level in codes.VERTEBRAL_LEVELS] + [(s, side) for s in codes.SIDED_SITES
                                                                   for side in codes.SIDES] + [("sacrum", None), ("coccyx", None)]
    fractures = tuple(
        Fracture(ref=f"fx{n}", site=site, side=side, identified_on=days_ago(100 - n * 2), imaging="xray",
                 trauma="low", genant_grade=(n % 3) + 1 if site in codes.VERTEBRAL_LEVELS else None,
                 note=f"fracture {n} of 40: reported by radiology & reviewed in clinic <no cord signs>")
        for n, (site, side) in enumerate(sites[:40], start=1))
    assert len(fractures) == 40
    record = lucja(fractures=fractures)
    pages = pages_of(render_letter_pdf(content_for(record), draft=False))
    assert len(pages) >= 3
    with_rows = [n for n, text in enumerate(pages) if any(fracture_row(f) in text for f in fractures)]
    assert len(with_rows) >= 2, "the fracture table should break across pages"
    for n in with_rows:
        assert "Site\nIdentified\nImaging\nGenant\ngrade\nAfter\ndelivery\nPresentation or\nrepeat\nNote" in pages[n], n
        assert f"{HEADING}   DOB 12-Apr-1991   NHS 943 476 5919" in pages[n]
    everything = "\n".join(pages)
    flat = " ".join(everything.split())    # a note wraps inside its cell
    for fracture in fractures:
        assert everything.count(fracture_row(fracture)) == 1, fracture
        assert f"{fracture.ref[2:]} of 40: reported by radiology & reviewed in clinic <no cord signs>" in flat


def test_drafts_carry_draft_on_every_page_and_issued_letters_nowhere():
    content = content_for(lucja())
    draft = pages_of(render_letter_pdf(content, draft=True))
    issued = pages_of(render_letter_pdf(content, draft=False))
    assert all("DRAFT" in text for text in draft)
    assert not any("draft" in text.lower() for text in issued)


def test_the_same_content_renders_the_same_bytes():
    content = content_for(lucja())
    assert render_letter_pdf(content, draft=False) == render_letter_pdf(content, draft=False)
    assert render_letter_pdf(content, draft=True) != render_letter_pdf(content, draft=False)


def test_the_medication_check_is_shown_to_bone_specialists_in_plain_words_and_not_to_physiotherapy():
    record = lucja(medications=(Medication(ref="med1", drug="alendronate", started_on=days_ago(10)),),
                   referrals=(physio_referral(specialty="osteoporosis_service"),))
    text = " ".join(pages_of(render_letter_pdf(content_for(record), draft=False)))
    assert "Medication check" in text and f"Alendronic acid, checked on {written_date(ON)}:" in text
    assert "must not be started at present" in text       # she is breastfeeding: the gate blocks it
    physio = " ".join(pages_of(render_letter_pdf(content_for(lucja()), draft=False)))
    assert "Medication check" not in physio


def test_recipients_gp_address_book_default_department_and_patient_copy():
    gp_letter = content_for(lucja(), physio_referral(specialty="gp"))
    assert (gp_letter.recipient.name, gp_letter.recipient.address) == ("Dr Siobhán Ní Bhriain", "1 North Lane\nLeeds LS6 3HU")
    assert [c.role for c in gp_letter.copies] == ["patient"]
    booked = content_for(lucja(), address_book={"physiotherapy": ReferralAddress(
        "Women's Health Physiotherapy", "St James's University Hospital\nLeeds LS9 7TF")})
    assert booked.recipient.name == "Women's Health Physiotherapy"
    assert booked.recipient.address == "St James's University Hospital\nLeeds LS9 7TF"
    default = content_for(lucja())
    assert (default.recipient.name, default.recipient.organisation, default.recipient.address) == (
        "Physiotherapy department", "Leeds PAO Clinic", "Chapel Allerton Hospital\nLeeds LS7 4SA")
    assert [c.role for c in default.copies] == ["GP", "patient"]
    assert default.copies[1].address == "12 Rowan Close\nLeeds\nLS6 2AB"


def test_a_fracture_found_during_her_second_pregnancy_reads_during_pregnancy_2():
    second = Pregnancy(ref="preg2", number=2, outcome="ongoing", due_date=ON + timedelta(days=60))
    first_fracture = Fracture(ref="fx1", site="l2", identified_on=days_ago(30), imaging="mri", trauma="none",
                              genant_grade=2)
    record = lucja(pregnancies=(replace(lucja().pregnancies[0], ended_on=days_ago(1480)), second),
                   breastfeeding=(), fractures=(first_fracture,))
    content = content_for(record)
    text = " ".join(pages_of(render_letter_pdf(content, draft=False))).replace("\n", " ")
    # due in 60 days, so 280 - 90 = 190 days (27 weeks) of gestation on the day of the fracture
    assert f"identified on {written_date(first_fracture.identified_on)}, at 27 weeks of her second pregnancy;" in text
    assert "after the delivery" not in text
    (row,) = content.fractures.rows
    assert row[content.fractures.headers.index("After delivery")] == "during pregnancy 2"


def test_the_letter_counts_weeks_postpartum_as_the_timeline_does():
    from pao_clinic.timeline import postpartum_on, weeks_postpartum

    record = lucja()
    for fracture in record.fractures:
        where = postpartum_on(record, fracture.identified_on, fracture.pregnancy)
        assert where.weeks == weeks_postpartum(record, fracture.identified_on) == (
            fracture.identified_on - days_ago(120)).days // 7
        assert where.words == f"{where.weeks} weeks postpartum (pregnancy 1)"
    text = " ".join(pages_of(render_letter_pdf(content_for(record), draft=False))).replace("\n", " ")
    assert (f"identified on {written_date(days_ago(80))}, {(120 - 80) // 7} weeks after the delivery of "
            f"{written_date(days_ago(120))};") in text


def test_no_recipient_address_or_no_identifier_blocks_issuing():
    no_gp_address = content_for(lucja(gp=GeneralPractitioner(name="Dr Ní Bhriain")), physio_referral(specialty="gp"))
    assert [p.path for p in issue_problems(no_gp_address)] == ["recipient_address"]
    no_numbers = content_for(lucja(nhs_number=None, hospital_number=None))
    assert [p.path for p in issue_problems(no_numbers)] == ["nhs_number"]
    assert issue_problems(content_for(lucja())) == []
    hospital_only = content_for(lucja(nhs_number=None))
    assert issue_problems(hospital_only) == []
    assert f"NHS {NOT_RECORDED}" in pages_of(render_letter_pdf(hospital_only, draft=True))[0]


# --- the service: drafting, issuing, reprinting (both backends) ---------------------------

def set_letterhead() -> None:
    for name, value in (("letterhead_name", LETTERHEAD.name), ("letterhead_address", LETTERHEAD.address),
                        ("letterhead_phone", LETTERHEAD.phone), ("letterhead_email", LETTERHEAD.email)):
        ClinicSetting.create(name=name, value=value)


def register_lucja(clinic, *, gp: GeneralPractitioner | None = None, specialty: str = "physiotherapy",
                   reason: str = "Back pain on lifting her baby") -> tuple[int, int]:
    """Her record in the database, with a draft referral; returns (patient id, referral id)."""
    record = lucja()
    saved = services.register_patient(clinic.nurse, replace(record, ref="", gp=gp or record.gp), today=ON)
    for item in (record.pregnancies + record.breastfeeding + record.fractures + record.dexa + record.bloods
                 + record.medications):
        services.add_clinical_entry(clinic.nurse, saved.id, item, today=ON)
    referral = services.add_clinical_entry(clinic.nurse, saved.id, physio_referral(
        ref="", specialty=specialty, reason=reason), today=ON)
    return saved.id, referral.id


def written_rows() -> tuple[int, int, int, list]:
    return (StoredDocument.select().count(), ReferralStatusChange.select().count(), AuditEntry.select().count(),
            [(r.status, r.sent_on, r.version) for r in ReferralRow.select().order_by(ReferralRow.id)])


def test_a_draft_is_watermarked_lists_what_is_missing_and_writes_nothing(clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    before = written_rows()
    pdf, missing = letter_service.draft_letter(clinic.nurse, patient_id, referral_id, today=ON)
    pages = pages_of(pdf)
    assert all("DRAFT" in text for text in pages)
    assert "Łucja Wiśniewska-O'Brien" in pages[0]
    assert [m.field for m in missing] == ["bloods"]   # her vitamin D is older than 90 days
    assert written_rows() == before


def test_issuing_stores_the_letter_sets_the_referral_sent_and_a_reprint_is_byte_identical(clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic, reason="Pain < 5/10 & lifting")
    document_id = letter_service.issue_letter(clinic.consultant, patient_id, referral_id, today=ON)

    stored = StoredDocument.get_by_id(document_id)
    content = bytes(stored.content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert (stored.kind, stored.created_by_id, stored.patient_id) == ("referral_letter", clinic.consultant.user_id, patient_id)
    pages = pages_of(content)
    assert not any("draft" in text.lower() for text in pages)
    assert "Pain < 5/10 & lifting" in "\n".join(pages) and "Dr Mei Chen" in pages[-1]

    referral = ReferralRow.get_by_id(referral_id)
    assert (referral.status, referral.sent_on, referral.version) == ("sent", ON, 2)
    change = ReferralStatusChange.get(ReferralStatusChange.referral == referral_id)
    assert (change.status, change.changed_on, change.changed_by_id) == ("sent", ON, clinic.consultant.user_id)
    issued = AuditEntry.get((AuditEntry.action == "issue") & (AuditEntry.record_id == document_id))
    assert (issued.user_name, issued.patient_id) == ("dr.chen", patient_id) and stored.sha256 in issued.after
    assert AuditEntry.select().where((AuditEntry.action == "update") & (AuditEntry.record_type == "referral")).count() == 1

    reprint = letter_service.reprint_letter(clinic.nurse, document_id)
    assert reprint == content
    assert letter_service.reprint_letter(clinic.nurse, document_id) == content
    printed = AuditEntry.select().where((AuditEntry.action == "reprint") & (AuditEntry.record_id == document_id))
    assert [e.user_name for e in printed] == ["nina.nurse", "nina.nurse"]
    listed = letter_service.issued_letters(clinic.nurse, patient_id)
    assert [(letter.id, letter.created_by) for letter in listed] == [(document_id, "Dr Mei Chen")]


def test_a_sent_referral_takes_only_a_correction_that_names_the_letter_it_replaces(clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    original = bytes(StoredDocument.get_by_id(first).content)
    before = written_rows()
    with pytest.raises(ValidationError) as refused:
        letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    assert refused.value.for_field("status") and written_rows() == before
    with pytest.raises(ValidationError) as refused:      # a correction says why
        letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON, replaces=first)
    assert refused.value.for_field("reason") and written_rows() == before
    corrected = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON + timedelta(days=1),
                                            replaces=first, correction_reason="The L3 fracture date was wrong")
    text = " ".join(" ".join(pages_of(letter_service.reprint_letter(clinic.nurse, corrected))).split())
    assert "CORRECTED LETTER" in text and "This letter replaces the letter" in text and f"(document {first})" in text
    assert "Reason for the correction: The L3 fracture date was wrong" in text
    assert letter_service.reprint_letter(clinic.nurse, first) == original      # the original never changes
    assert ReferralRow.get_by_id(referral_id).sent_on == ON   # the referral keeps its sent date


def test_a_correction_is_drafted_then_issued_as_a_normal_letter_and_the_original_reprints_byte_identical(clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic, reason="Pain < 5/10 & lifting")
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    original = letter_service.reprint_letter(clinic.nurse, first)
    reason = "Her GP practice changed <Headingley> & the address was wrong"
    before = written_rows()

    draft, missing = letter_service.draft_correction(clinic.nurse, first, reason=reason, today=ON + timedelta(days=3))
    pages = pages_of(draft)
    assert written_rows() == before                     # a draft writes nothing
    assert all("DRAFT" in page for page in pages)
    flat = " ".join(" ".join(pages).split())
    assert f"This letter replaces the letter" in flat and f"(document {first})" in flat
    assert f"Reason for the correction: {reason}" in flat   # markup characters print literally
    assert [m.field for m in missing] == ["bloods"]

    corrected = letter_service.issue_correction(clinic.consultant, first, reason=reason, today=ON + timedelta(days=3))
    stored = StoredDocument.get_by_id(corrected)
    assert stored.sha256 == hashlib.sha256(bytes(stored.content)).hexdigest()
    assert stored.created_by_id == clinic.consultant.user_id and stored.title.endswith(", correction")
    issued_pages = pages_of(bytes(stored.content))
    assert not any("draft" in page.lower() for page in issued_pages)
    assert f"Reason for the correction: {reason}" in " ".join(" ".join(issued_pages).split())
    audit = AuditEntry.get((AuditEntry.action == "issue") & (AuditEntry.record_id == corrected))
    assert audit.user_name == "dr.chen" and f'"replaces": {first}' in audit.after and "address was wrong" in audit.after
    assert letter_service.reprint_letter(clinic.nurse, first) == original
    assert ReferralStatusChange.select().where(ReferralStatusChange.referral == referral_id).count() == 1

    listed = {letter.id: letter for letter in letter_service.issued_letters(clinic.nurse, patient_id)}
    assert (listed[first].replaced_by, listed[first].replaces) == (corrected, None)
    assert (listed[corrected].replaces, listed[corrected].replaced_by) == (first, None)
    assert listed[corrected].correction_reason == reason

    before = written_rows()
    with pytest.raises(ValidationError) as refused:      # a letter is replaced once: correct the newest
        letter_service.issue_correction(clinic.nurse, first, reason="again", today=ON + timedelta(days=4))
    assert f"already replaced by letter {corrected}" in refused.value.for_field("replaces")[0]
    with pytest.raises(ValidationError) as refused:
        letter_service.draft_correction(clinic.nurse, first, reason="again", today=ON + timedelta(days=4))
    assert refused.value.for_field("replaces")
    assert written_rows() == before
    again = letter_service.issue_correction(clinic.nurse, corrected, reason="and the urgency", today=ON + timedelta(days=4))
    assert [letter.replaces for letter in letter_service.issued_letters(clinic.nurse, patient_id)] == [
        None, first, corrected]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_without_a_reason_is_refused_and_nothing_is_written(clinic, reason):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    before = written_rows()
    with pytest.raises(ValidationError) as refused:
        letter_service.issue_correction(clinic.nurse, first, reason=reason, today=ON)
    assert refused.value.for_field("reason") and written_rows() == before
    with pytest.raises(ValidationError):
        letter_service.draft_correction(clinic.nurse, first, reason=reason, today=ON)


def test_a_correction_is_for_the_same_referral_and_not_dated_before_the_letter_it_replaces(clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    other = services.add_clinical_entry(clinic.nurse, patient_id, physio_referral(ref="", specialty="nutrition"),
                                        today=ON)
    before = written_rows()
    with pytest.raises(ValidationError) as refused:
        letter_service.issue_letter(clinic.nurse, patient_id, other.id, today=ON, replaces=first,
                                    correction_reason="wrong letter")
    assert "another referral" in refused.value.for_field("replaces")[0]
    with pytest.raises(ValidationError) as refused:
        letter_service.issue_correction(clinic.nurse, first, reason="too early", today=ON - timedelta(days=1))
    assert refused.value.for_field("today")
    with pytest.raises(ValidationError) as refused:
        letter_service.issue_correction(clinic.nurse, 999_999, reason="no such letter", today=ON)
    assert refused.value.for_field("replaces")
    assert written_rows() == before
    with pytest.raises(PermissionDenied):
        letter_service.issue_correction(clinic.admin, first, reason="an admin", today=ON)
    with pytest.raises(PermissionDenied):
        letter_service.draft_correction(clinic.admin, first, reason="an admin", today=ON)
    assert written_rows() == before


def test_a_letter_for_a_referral_seen_since_may_still_be_corrected(clinic):
    from pao_clinic.services.referrals import change_referral_status

    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    change_referral_status(clinic.nurse, referral_id, "seen", ON, expected_version=2, today=ON)
    corrected = letter_service.issue_correction(clinic.nurse, first, reason="the wrong hospital number", today=ON)
    assert ReferralRow.get_by_id(referral_id).status == "seen"
    assert [letter.replaced_by for letter in letter_service.issued_letters(clinic.nurse, patient_id)] == [corrected, None]


def test_issuing_without_the_recipient_address_is_refused_and_the_database_is_unchanged(clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic, gp=GeneralPractitioner(name="Dr Ní Bhriain"), specialty="gp")
    before = written_rows()
    with pytest.raises(ValidationError) as refused:
        letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    assert refused.value.for_field("recipient_address")
    assert "Dr Ní Bhriain" in refused.value.for_field("recipient_address")[0]
    assert written_rows() == before


def test_a_specialty_letter_without_the_clinic_address_is_refused(clinic):
    patient_id, referral_id = register_lucja(clinic)        # no letterhead address set
    before = written_rows()
    with pytest.raises(ValidationError) as refused:
        letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    assert refused.value.for_field("recipient_address") and written_rows() == before
    ClinicSetting.create(name="referral_address.physiotherapy",
                         value="Women's Health Physiotherapy\nSt James's University Hospital\nLeeds LS9 7TF")
    document_id = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    text = letter_service.reprint_letter(clinic.nurse, document_id)
    assert "Women's Health Physiotherapy\nSt James's University Hospital\nLeeds LS9 7TF" in pages_of(text)[0]


def test_an_admin_may_not_draft_issue_or_reprint_letters(clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    document_id = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    before = written_rows()
    with pytest.raises(PermissionDenied):
        letter_service.draft_letter(clinic.admin, patient_id, referral_id, today=ON)
    with pytest.raises(PermissionDenied):
        letter_service.issue_letter(clinic.admin, patient_id, referral_id, today=ON)
    with pytest.raises(PermissionDenied):
        letter_service.reprint_letter(clinic.admin, document_id)
    assert written_rows() == before


def test_a_referral_of_another_patient_is_not_found(clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    other = services.register_patient(clinic.nurse, PatientRecord(
        ref="", family_name="Ní Bhriain", given_name="Siobhán", date_of_birth=date(1990, 5, 17),
        hospital_number="RX99999"), today=ON)
    with pytest.raises(NotFoundError):
        letter_service.draft_letter(clinic.nurse, other.id, referral_id, today=ON)


def test_demo_patients_letters_name_her_on_every_page_and_list_every_fracture():
    from pao_clinic.demo.caseload import demo_caseload

    for n, record in enumerate(demo_caseload(12, seed=5, today=ON)):
        specialty = codes.SPECIALTIES[n % len(codes.SPECIALTIES)]
        referral = physio_referral(specialty=specialty, urgency="routine", created_on=ON)
        content = content_for(record, referral)
        pages = pages_of(render_letter_pdf(content, draft=False))
        for number, text in enumerate(pages, start=1):
            assert content.identifier_line in text and f"Page {number} of {len(pages)}" in text, (record.ref, number)
        everything = "\n".join(pages)
        for fracture in record.fractures:
            if fracture.identified_on <= ON:
                assert fracture_row(fracture) in everything, (record.ref, fracture)
        assert ("Medication check" in everything) == (specialty in GATE_SPECIALTIES)


# --- many letters: the clinic's settings read once, the records read together -------------------

def test_a_draft_letter_reads_the_clinics_settings_once(clinic):
    from pao_clinic.storage.connection import counting_queries

    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    with counting_queries() as queries:
        letter_service.draft_letter(clinic.nurse, patient_id, referral_id, today=ON)
    assert sum('"clinic_setting"' in sql for sql in queries.statements) == 1


def test_draft_letters_gives_each_letter_as_draft_letter_does_with_no_more_statements_for_more_women(clinic):
    from pao_clinic.storage.connection import counting_queries

    set_letterhead()
    due = []
    for n, family in enumerate(("Wiśniewska-O'Brien", "Nguyễn", "Ní Bhriain")):
        saved = services.register_patient(clinic.nurse, replace(lucja(), ref="", family_name=family,
                                                                nhs_number=None, hospital_number=f"RX{n}"), today=ON)
        referral = services.add_clinical_entry(clinic.nurse, saved.id, physio_referral(ref=""), today=ON)
        due.append(letter_service.DueLetter(saved.id, referral.id, family, "Łucja", "physiotherapy"))
    before = written_rows()
    with counting_queries() as one:
        (only,) = list(letter_service.draft_letters(clinic.nurse, due[:1], today=ON))
    with counting_queries() as three:
        made = list(letter_service.draft_letters(clinic.nurse, due, today=ON))
    assert [letter for letter, _pdf, _missing in made] == due
    for letter, pdf, missing in made:
        assert (pdf, missing) == letter_service.draft_letter(clinic.nurse, letter.patient_id, letter.referral_id,
                                                              today=ON)
        assert letter.family_name.upper() in pages_of(pdf)[0]
    assert only[1] == made[0][1]
    assert three.count == one.count          # one query per list for all of them, the settings once
    assert written_rows() == before
    with pytest.raises(PermissionDenied):
        letter_service.draft_letters(clinic.admin, due, today=ON)    # refused at the call, before any letter


# --- where she presented in her pregnancies, in words that read true -----------------------------

def _delivered(number: int, ended: date, **kw) -> Pregnancy:
    return Pregnancy(ref=f"preg{number}", number=number, outcome=kw.pop("outcome", "live_birth"), ended_on=ended,
                     delivery_mode=kw.pop("delivery_mode", "vaginal"), **kw)


def _first_fracture_on(day: date) -> Fracture:
    return Fracture(ref="fx1", site="l1", identified_on=day, imaging="mri", trauma="none", genant_grade=2)


@pytest.mark.parametrize("pregnancies, fracture_day, words", [
    # 40 days after her only delivery
    ((_delivered(1, days_ago(120)),), days_ago(80), f"5 weeks after the delivery of {written_date(days_ago(120))}"),
    # a second baby born since (taken to be conceived 280 days before): the weeks count from the delivery before
    ((_delivered(1, days_ago(400)), _delivered(2, days_ago(30))), days_ago(330),
     f"10 weeks after the delivery of {written_date(days_ago(400))}"),
    ((_delivered(1, days_ago(33)),), days_ago(30), f"3 days after the delivery of {written_date(days_ago(33))}"),
    ((_delivered(1, days_ago(31)),), days_ago(30), f"1 day after the delivery of {written_date(days_ago(31))}"),
    ((_delivered(1, days_ago(30)),), days_ago(30), f"on the day of the delivery of {written_date(days_ago(30))}"),
    ((_delivered(1, days_ago(37)),), days_ago(30), f"1 week after the delivery of {written_date(days_ago(37))}"),
    # during a later pregnancy, dated from its due date (due in 60 days: 280 - 90 days = 27 weeks)
    ((_delivered(1, days_ago(1480)), Pregnancy(ref="preg2", number=2, outcome="ongoing", due_date=ON + timedelta(days=60))),
     days_ago(30), "at 27 weeks of her second pregnancy"),
    # during a later pregnancy with no due date recorded
    ((_delivered(1, days_ago(1480)), Pregnancy(ref="preg2", number=2, outcome="ongoing")),
     days_ago(30), "during her second pregnancy"),
    # during her first pregnancy, delivered since: 280 - (10 + 70) = 200 days of gestation, 28 weeks
    ((_delivered(1, days_ago(30), due_date=ON + timedelta(days=10)),), days_ago(70),
     "at 28 weeks of her first pregnancy"),
    # after a miscarriage only: no delivery yet
    ((Pregnancy(ref="preg1", number=1, outcome="miscarriage", ended_on=days_ago(200)),), days_ago(30),
     "before any delivery"),
    ((), days_ago(30), "with no pregnancy recorded"),
])
def test_presentation_timing_reads_true_wherever_she_presented(pregnancies, fracture_day, words):
    from pao_clinic.letters.content import presentation_words

    record = lucja(pregnancies=pregnancies, breastfeeding=(), fractures=(_first_fracture_on(fracture_day),))
    assert presentation_words(record, fracture_day) == words
    for specialty in ("gp", "osteoporosis_service", "pao_expert_service", "spinal_surgery"):
        content = content_for(record, physio_referral(specialty=specialty))
        opening = " ".join(block.text for block in content.opening)
        assert f"on {written_date(fracture_day)}, {words}" in opening, specialty
        assert "after delivery" not in opening and "after her delivery" not in opening, specialty
        summary = " ".join(content.clinical_summary)
        assert f"identified on {written_date(fracture_day)}, {words};" in summary


def test_the_letter_says_at_which_week_of_her_second_pregnancy_she_presented():
    second = Pregnancy(ref="preg2", number=2, outcome="ongoing", due_date=ON + timedelta(days=60))
    record = lucja(pregnancies=(_delivered(1, days_ago(1480)), second), breastfeeding=(),
                   fractures=(_first_fracture_on(days_ago(30)),))
    text = " ".join(" ".join(pages_of(render_letter_pdf(content_for(record, physio_referral(specialty="gp")),
                                                        draft=False))).split())
    assert (f"Her first fragility fracture was identified on {written_date(days_ago(30))}, at 27 weeks of her "
            "second pregnancy.") in text


def test_a_template_still_using_the_retired_weeks_postpartum_placeholder_is_told_what_to_write():
    text = "[opening]\nShe presented {weeks_postpartum_at_presentation} after delivery.\n[request]\n- Please see her.\n"
    with pytest.raises(TemplateError) as refused:
        parse_template("spinal_surgery", text, "letters/spinal_surgery.txt")
    message = str(refused.value)
    assert "letters/spinal_surgery.txt" in message and "{weeks_postpartum_at_presentation}" in message
    assert "{presentation_timing}" in message


def test_the_templates_readme_lists_every_placeholder():
    readme = (Path(letter_templates.__file__).parents[2] / "resources" / "letters" / "README.md").read_text("utf-8")
    listed = set(re.findall(r"^\| `\{([a-z_]+)\}` \|", readme, flags=re.MULTILINE))
    assert listed == set(PLACEHOLDERS)


@pytest.mark.parametrize("days, words", [
    (20, "2 weeks old"), (7 * 16 + 6, "16 weeks old"), (7 * 17, "3 months old"), (700, "22 months old"),
    (731, "2 years old"), (1310, "3 years and 7 months old"), (1150, "3 years and 1 month old"),
])
def test_her_babys_age_reads_in_weeks_then_months_then_years(days, words):
    record = lucja(pregnancies=(_delivered(1, days_ago(days)),), breastfeeding=(), fractures=())
    opening = " ".join(block.text for block in content_for(record).opening)
    assert f"Age of her youngest baby: {words};" in opening


def test_many_fractures_found_on_one_day_are_summarised_on_that_day():
    fractures = tuple(Fracture(ref=f"fx{n}", site=level, identified_on=days_ago(80), imaging="mri", trauma="none",
                               genant_grade=1) for n, level in enumerate(codes.VERTEBRAL_LEVELS[:9], start=1))
    content = content_for(lucja(fractures=fractures), physio_referral(specialty="gp"))
    opening = " ".join(block.text for block in content.opening)
    assert f"9 fractures identified on {written_date(days_ago(80))}, listed in the fractures table" in opening


def test_a_file_name_that_is_not_utf8_or_a_status_that_is_no_status_is_answered_in_words(clinic):
    """A Linux file name with undecodable bytes is audited readable; a 100,000-character status is quoted short."""
    from pao_clinic.services.referrals import change_referral_status

    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    document = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    letter_service.record_letter_saved(clinic.nurse, document, file_name="/tmp/\udcff" + "x" * 10_000 + ".pdf")
    saved = AuditEntry.select().where(AuditEntry.action == "saved").get()
    file_name = json.loads(saved.after)["file"]
    assert file_name.startswith("/tmp/?x") and len(file_name) <= 4096
    with pytest.raises(ValidationError) as refused:
        change_referral_status(clinic.nurse, referral_id, "s" * 100_000, ON, expected_version=2, today=ON)
    message = str(refused.value)
    assert "not 'sss" in message and len(message) < 400

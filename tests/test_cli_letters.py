"""`pao-clinic refer / letter / letters / summary / settings`, run in-process on both backends.

Her record is written with dates counted back from the day the test runs (the CLI
dates letters today), never a literal "recent" date.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from pao_clinic import services
from pao_clinic.letters import templates as letter_templates
from pao_clinic.record import (
    BloodResult, Contact, DexaScan, Feeding, Fracture, GeneralPractitioner, Medication, PatientRecord, Pregnancy,
    codes,
)
from pao_clinic.record.dates import written_date
from pao_clinic.storage.models import AuditEntry, ClinicSetting, ReferralRow, StoredDocument

from .test_cli import cli_clinic, in_database, run  # noqa: F401 (cli_clinic is a fixture)
from .test_cli import fingerprint as every_row_count

NHS = "9434765919"
NHS_WRITTEN = "943 476 5919"
LETTERHEAD_ROWS = {"letterhead_name": "Leeds PAO Clinic", "letterhead_address": "Chapel Allerton Hospital\nLeeds LS7 4SA",
                   "letterhead_phone": "0113 496 0100", "letterhead_email": "pao.clinic@example.nhs.uk"}


def fingerprint() -> dict[str, int]:
    """Row counts of every table, leaving out the audit of signing in (each command signs in, and that is audited)."""
    from pao_clinic.services.users import SIGN_IN, SIGN_IN_FAILED

    counts = every_row_count()
    counts["audit_entry"] = AuditEntry.select().where(AuditEntry.record_type.not_in([SIGN_IN, SIGN_IN_FAILED])).count()
    return counts


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def her_record(today: date, **overrides) -> PatientRecord:
    def ago(n: int) -> date:
        return today - timedelta(days=n)

    values = dict(
        ref="", family_name="Begum", given_name="Inês", date_of_birth=date(1992, 3, 4), nhs_number=NHS,
        hospital_number="RX55501",
        contact=Contact(address="4 Larch Way\nLeeds", postcode="LS6 1ZZ"),
        gp=GeneralPractitioner(name="Dr Siobhán Ní Bhriain", practice="Headingley Surgery",
                               address="1 North Lane\nLeeds LS6 3ZZ"),
        pregnancies=(Pregnancy(ref="preg1", number=1, outcome="live_birth", ended_on=ago(150),
                               delivery_mode="vaginal"),),
        breastfeeding=(Feeding(pregnancy="preg1", breastfed=True, started_on=ago(150), stopped_on=ago(40)),),
        fractures=(Fracture(ref="fx1", site="l1", identified_on=ago(100), imaging="mri", trauma="none", genant_grade=2),
                   Fracture(ref="fx2", site="t12", identified_on=ago(98), imaging="mri", trauma="none", genant_grade=1),
                   Fracture(ref="fx3", site="wrist", side="left", identified_on=ago(30), imaging="xray", trauma="low")),
        dexa=(DexaScan(ref="dexa1", scanned_on=ago(90), site="lumbar_spine", bmd=0.801, t_score=-3.0, z_score=-2.8),),
        bloods=(BloodResult(taken_on=ago(20), test="adjusted_calcium", value=2.33, unit="mmol/L"),),
        medications=(Medication(ref="med1", drug="calcium_vitamin_d", started_on=ago(95)),),
    )
    values.update(overrides)
    return PatientRecord(**values)


def register_her(clinic, *, letterhead: bool = True, **overrides) -> int:
    """Her record in the test database (bound here and released); returns her patient id."""
    today = date.today()

    def write() -> int:
        if letterhead:
            for name, value in LETTERHEAD_ROWS.items():
                ClinicSetting.create(name=name, value=value)
        record = her_record(today, **overrides)
        saved = services.register_patient(clinic.nurse, replace(record, pregnancies=(), breastfeeding=(),
                                                                fractures=(), dexa=(), bloods=(), medications=()),
                                          today=today)
        for item in (record.pregnancies + record.breastfeeding + record.fractures + record.dexa + record.bloods
                     + record.medications):
            services.add_clinical_entry(clinic.nurse, saved.id, item, today=today)
        return saved.id

    return in_database(clinic.url, write)


def referrals_of(clinic, patient_id: int) -> list[tuple]:
    def read():
        rows = ReferralRow.select().where(ReferralRow.patient == patient_id).order_by(ReferralRow.id)
        return [(r.id, r.specialty, r.urgency, r.status, r.sent_on, r.reason) for r in rows]
    return in_database(clinic.url, read)


def refer(clinic, *args: str) -> int:
    code, out, err = run("--database", clinic.url, "refer", *args)
    assert code == 0, err
    assert re.fullmatch(r"\d+\n", out), out
    return int(out)


# --- refer -------------------------------------------------------------------------------

def test_refer_prints_the_id_of_a_new_draft_referral(cli_clinic):
    patient_id = register_her(cli_clinic)
    referral_id = refer(cli_clinic, "--patient", NHS_WRITTEN, "--to", "physiotherapy", "--urgency", "urgent",
                        "--reason", "Back pain when lifting her baby")
    assert referrals_of(cli_clinic, patient_id) == [
        (referral_id, "physiotherapy", "urgent", "draft", None, "Back pain when lifting her baby")]
    audit = in_database(cli_clinic.url, lambda: AuditEntry.get(
        (AuditEntry.record_type == "referral") & (AuditEntry.record_id == referral_id)))
    assert (audit.action, audit.user_name) == ("add", "nina.nurse")


def test_refer_names_a_bad_specialty_and_a_missing_reason(cli_clinic):
    patient_id = register_her(cli_clinic)
    code, _, err = run("--database", cli_clinic.url, "refer", "--patient", NHS, "--to", "dentistry",
                       "--urgency", "routine", "--reason", "x")
    assert code == 2 and "'dentistry' is not a specialty" in err
    code, _, err = run("--database", cli_clinic.url, "refer", "--patient", NHS, "--to", "nutrition",
                       "--urgency", "routine", "--reason", "  ")
    assert code == 2 and "reason" in err and "required" in err
    assert referrals_of(cli_clinic, patient_id) == []


# --- letter ------------------------------------------------------------------------------

def test_a_draft_letter_says_draft_lists_what_is_missing_and_changes_nothing(cli_clinic, tmp_path):
    register_her(cli_clinic)
    referral_id = refer(cli_clinic, "--patient", NHS, "--to", "nutrition", "--urgency", "routine",
                        "--reason", "Calcium & vitamin D <diet> review")
    before = in_database(cli_clinic.url, fingerprint)
    (tmp_path / "out").mkdir()
    out_file = tmp_path / "out" / "draft.pdf"
    code, out, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--referral", str(referral_id),
                         "-o", str(out_file))
    assert code == 0, err
    pages = pages_of(out_file.read_bytes())
    assert all("DRAFT" in text for text in pages)
    assert "Calcium & vitamin D <diet> review" in "\n".join(pages)
    assert "missing: dexa" not in err and "missing: bloods: 25-OH vitamin D" not in err
    assert "DRAFT" in err and out == ""
    assert in_database(cli_clinic.url, fingerprint) == before
    assert [p.name for p in out_file.parent.iterdir()] == ["draft.pdf"]   # nothing left aside


def test_the_preview_missing_list_is_printed_on_stderr(cli_clinic, tmp_path):
    register_her(cli_clinic, letterhead=False, bloods=())
    referral_id = refer(cli_clinic, "--patient", NHS, "--to", "physiotherapy", "--urgency", "routine",
                        "--reason", "Return to lifting")
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--referral", str(referral_id),
                       "-o", str(tmp_path / "l.pdf"))
    assert code == 0, err
    assert "missing: recipient_address: no postal address for Physiotherapy department" in err
    assert "missing: bloods: no blood result is recorded" in err


def test_an_issued_letter_has_no_draft_mark_and_the_referral_is_sent(cli_clinic, tmp_path):
    patient_id = register_her(cli_clinic)
    referral_id = refer(cli_clinic, "--patient", NHS, "--to", "physiotherapy", "--urgency", "urgent",
                        "--reason", "Back pain when lifting her baby")
    out_file = tmp_path / "issued.pdf"
    day_before = date.today()
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", "RX55501", "--referral",
                       str(referral_id), "--issue", "-o", str(out_file))
    assert code == 0, err
    pdf = out_file.read_bytes()
    assert not any("draft" in text.lower() for text in pages_of(pdf))
    [(_id, _s, _u, status, sent_on, _r)] = referrals_of(cli_clinic, patient_id)
    assert status == "sent" and day_before <= sent_on <= date.today()
    stored = in_database(cli_clinic.url, lambda: bytes(StoredDocument.get(StoredDocument.patient == patient_id).content))
    assert stored == pdf                 # the file is the stored letter, byte for byte
    assert "issued" in err and "sent" in err
    # a second issue of a sent referral is refused, naming the status
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--referral", str(referral_id),
                       "--issue", "-o", str(tmp_path / "again.pdf"))
    assert code == 2 and "error: status: the referral was already sent" in err
    assert not (tmp_path / "again.pdf").exists()


def test_issuing_without_a_recipient_address_is_refused_with_exit_2_and_nothing_changes(cli_clinic, tmp_path):
    patient_id = register_her(cli_clinic, gp=GeneralPractitioner(name="Dr Ní Bhriain", practice="Headingley Surgery"))
    referral_id = refer(cli_clinic, "--patient", NHS, "--to", "gp", "--urgency", "routine",
                        "--reason", "Please repeat her bone profile")
    before = in_database(cli_clinic.url, fingerprint)
    code, out, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--referral", str(referral_id),
                         "--issue", "-o", str(tmp_path / "gp.pdf"))
    assert code == 2 and out == ""
    assert err.startswith("error: recipient_address: no postal address for Dr Ní Bhriain") and "Traceback" not in err
    assert in_database(cli_clinic.url, fingerprint) == before
    assert not (tmp_path / "gp.pdf").exists()
    # with --to and no open referral, the refused issue leaves no new draft behind either
    in_database(cli_clinic.url, lambda: ClinicSetting.delete().where(ClinicSetting.name == "letterhead_address")
                .execute())
    before = in_database(cli_clinic.url, fingerprint)
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--to", "nutrition",
                       "--reason", "Diet review", "--issue", "-o", str(tmp_path / "n.pdf"))
    assert code == 2 and "recipient_address" in err
    assert in_database(cli_clinic.url, fingerprint) == before
    assert "nutrition" not in {r[1] for r in referrals_of(cli_clinic, patient_id)}


def test_letter_to_a_specialty_makes_a_draft_when_none_is_open_and_uses_it_afterwards(cli_clinic, tmp_path):
    patient_id = register_her(cli_clinic)
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--to", "mental_health",
                       "-o", str(tmp_path / "a.pdf"))
    assert code == 2 and "error: reason: she has no open referral to perinatal mental health" in err
    assert referrals_of(cli_clinic, patient_id) == []
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--to", "perinatal mental health",
                       "--reason", "Low mood since the birth", "--urgency", "urgent", "-o", str(tmp_path / "b.pdf"))
    assert code == 0, err
    [(first_id, specialty, urgency, status, _sent, reason)] = referrals_of(cli_clinic, patient_id)
    assert (specialty, urgency, status, reason) == ("mental_health", "urgent", "draft", "Low mood since the birth")
    assert f"made draft urgent referral {first_id}" in err
    assert "Low mood since the birth" in "\n".join(pages_of((tmp_path / "b.pdf").read_bytes()))
    # the open draft is used next time: no second referral, and a different reason is refused
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--to", "mental-health",
                       "--issue", "-o", str(tmp_path / "c.pdf"))
    assert code == 0, err
    assert [(r[0], r[3]) for r in referrals_of(cli_clinic, patient_id)] == [(first_id, "sent")]
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--to", "mental_health",
                       "--reason", "Something else", "-o", str(tmp_path / "d.pdf"))
    assert code == 2 and f"error: reason: her open perinatal mental health referral {first_id} (sent" in err
    assert len(referrals_of(cli_clinic, patient_id)) == 1


def test_reason_and_urgency_go_only_with_to(cli_clinic, tmp_path):
    register_her(cli_clinic)
    referral_id = refer(cli_clinic, "--patient", NHS, "--to", "nutrition", "--urgency", "routine", "--reason", "Diet")
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--referral", str(referral_id),
                       "--urgency", "urgent", "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "--reason and --urgency go with --to" in err
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "--referral" in err and "--to" in err


# --- letters --due ---------------------------------------------------------------------------

def test_letters_due_writes_one_draft_pdf_per_draft_referral_with_progress(cli_clinic, tmp_path):
    first = register_her(cli_clinic)
    second = register_her(cli_clinic, letterhead=False, family_name="Wiśniewska-O'Brien", given_name="Łucja",
                          nhs_number=None, hospital_number="RX77702")
    drafts = {
        refer(cli_clinic, "--patient", NHS, "--to", "physiotherapy", "--urgency", "urgent", "--reason", "Lifting"),
        refer(cli_clinic, "--patient", NHS, "--to", "nutrition", "--urgency", "routine", "--reason", "Diet"),
        refer(cli_clinic, "--patient", "RX77702", "--to", "physiotherapy", "--urgency", "routine", "--reason", "Pain"),
    }
    sent = refer(cli_clinic, "--patient", NHS, "--to", "gp", "--urgency", "routine", "--reason", "Bone profile")
    assert run("--database", cli_clinic.url, "letter", "--patient", NHS, "--referral", str(sent), "--issue",
               "-o", str(tmp_path / "sent.pdf"))[0] == 0
    folder = tmp_path / "due"
    code, out, err = run("--database", cli_clinic.url, "letters", "--due", "-o", str(folder))
    assert code == 0, err
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 3 and len(set(files)) == 3
    assert all(re.fullmatch(r"[a-z0-9-]+\.pdf", name) for name in files), files
    assert {int(re.search(r"referral-(\d+)\.pdf$", name)[1]) for name in files} == drafts
    assert "wisniewska-o-brien-lucja-physiotherapy-referral-" in " ".join(files)
    progress = [line for line in err.splitlines() if re.match(r"\d+/3 ", line)]
    assert progress == ["1/3 BEGUM, Inês: physiotherapy", "2/3 BEGUM, Inês: nutrition and dietetics",
                        "3/3 WIŚNIEWSKA-O'BRIEN, Łucja: physiotherapy"]
    for name in files:
        pages = pages_of((folder / name).read_bytes())
        assert all("DRAFT" in text for text in pages), name
    assert {r[3] for r in referrals_of(cli_clinic, first)} == {"draft", "sent"}
    assert {r[3] for r in referrals_of(cli_clinic, second)} == {"draft"}   # drafting sends nothing
    code, _, err = run("--database", cli_clinic.url, "letters", "--due", "-o", str(tmp_path / "sent.pdf"))
    assert code == 2 and "it is a file, not a folder" in err


# --- summary ---------------------------------------------------------------------------------

def test_summary_has_her_name_nhs_number_on_every_page_every_fracture_and_page_n_of_m(cli_clinic, tmp_path):
    many = tuple(Fracture(ref=f"fx{n}", site=level, identified_on=date.today() - timedelta(days=120 - n),
                          imaging="mri", trauma="none", genant_grade=1 + n % 3)
                 for n, level in enumerate(codes.VERTEBRAL_LEVELS[7:24], start=1))
    patient_id = register_her(cli_clinic, fractures=many)
    out_file = tmp_path / "summary.pdf"
    code, out, err = run("--database", cli_clinic.url, "summary", "--patient", NHS, "-o", str(out_file))
    assert code == 0, err
    pages = pages_of(out_file.read_bytes())
    assert len(pages) >= 2
    for n, text in enumerate(pages, start=1):
        assert f"BEGUM, Inês   DOB 04-Mar-1992   NHS {NHS_WRITTEN}" in text, n
        assert f"Page {n} of {len(pages)}" in text, n
    everything = "\n".join(pages)
    for fracture in many:
        assert f"{fracture.site.upper()}\n{written_date(fracture.identified_on)}\nMRI\n{fracture.genant_grade}" in everything
    assert "Inês Begum" in everything or "BEGUM, Inês" in everything
    printed = in_database(cli_clinic.url, lambda: list(AuditEntry.select().where(
        (AuditEntry.record_type == "patient_summary") & (AuditEntry.patient == patient_id))))
    assert [(e.action, e.user_name) for e in printed] == [("read", "nina.nurse")]


def test_summary_of_a_patient_who_is_not_there_exits_2(cli_clinic, tmp_path):
    code, _, err = run("--database", cli_clinic.url, "summary", "--patient", "RX00000", "-o", str(tmp_path / "s.pdf"))
    assert code == 2 and "no patient with NHS or hospital number 'RX00000'" in err
    assert not (tmp_path / "s.pdf").exists()


# --- settings --------------------------------------------------------------------------------

def test_settings_are_admin_only_audited_and_what_letters_print(cli_clinic, tmp_path, signed_in_env):
    register_her(cli_clinic, letterhead=False)
    letterhead = ("settings", "letterhead", "--name", "Harrogate PAO Clinic",
                  "--address", "Bone Unit, Harrogate District Hospital, Harrogate HG2 7ZZ",
                  "--phone", "01423 496 000", "--email", "pao@example.nhs.uk")
    book = ("settings", "address-book", "--specialty", "physiotherapy",
            "--address", "Women's Health Physiotherapy\nLeeds General Infirmary\nLeeds LS1 3ZZ")
    before = in_database(cli_clinic.url, fingerprint)
    for command in (letterhead, book):
        code, _, err = run("--database", cli_clinic.url, *command)
        assert code == 2 and "only an admin may do this (you are signed in as nurse)" in err, err
    assert in_database(cli_clinic.url, fingerprint) == before

    signed_in_env("ada.admin")
    code, out, err = run("--database", cli_clinic.url, *letterhead)
    assert code == 0, err
    code, out, err = run("--database", cli_clinic.url, *book, "--department", "Women's Health Physiotherapy")
    assert code == 0, err
    rows = in_database(cli_clinic.url, lambda: {r.name: r.value for r in ClinicSetting.select()})
    assert rows["letterhead_address"] == "Bone Unit\nHarrogate District Hospital\nHarrogate HG2 7ZZ"
    assert rows["referral_address.physiotherapy"] == (
        "Women's Health Physiotherapy\nWomen's Health Physiotherapy\nLeeds General Infirmary\nLeeds LS1 3ZZ")
    audited = in_database(cli_clinic.url, lambda: [(e.action, e.user_name) for e in AuditEntry.select().where(
        AuditEntry.record_type == "clinic_setting")])
    assert audited == [("update", "ada.admin"), ("update", "ada.admin")]
    code, _, err = run("--database", cli_clinic.url, "settings", "letterhead", "--name", "X", "--address", "A",
                       "--phone", "call us", "--email", "nobody")
    assert code == 2 and "error: phone:" in err and "error: email:" in err
    # an admin writes no letters; the nurse's letter carries the letterhead and the address book
    code, _, err = run("--database", cli_clinic.url, "refer", "--patient", NHS, "--to", "physiotherapy",
                       "--urgency", "routine", "--reason", "Lifting")
    assert code == 2 and "only a nurse or consultant" in err
    signed_in_env("nina.nurse")
    referral_id = refer(cli_clinic, "--patient", NHS, "--to", "physiotherapy", "--urgency", "routine",
                        "--reason", "Lifting")
    code, _, err = run("--database", cli_clinic.url, "letter", "--patient", NHS, "--referral", str(referral_id),
                       "--issue", "-o", str(tmp_path / "l.pdf"))
    assert code == 0, err
    first = pages_of((tmp_path / "l.pdf").read_bytes())[0]
    assert "Harrogate PAO Clinic" in first and "Telephone 01423 496 000" in first
    assert "Leeds General Infirmary\nLeeds LS1 3ZZ" in first


def test_a_logo_must_be_an_image(cli_clinic, tmp_path, signed_in_env):
    signed_in_env("ada.admin")
    not_image = tmp_path / "logo.png"
    not_image.write_text("not an image", encoding="utf-8")
    base = ("settings", "letterhead", "--name", "Clinic", "--address", "1 Road, Town AB1 2ZZ",
            "--phone", "0113 496 0000", "--email", "a@example.nhs.uk")
    code, _, err = run("--database", cli_clinic.url, *base, "--logo", str(not_image))
    assert code == 2 and f"error: logo: {not_image} is not a PNG or JPEG image" in err
    code, _, err = run("--database", cli_clinic.url, *base, "--logo", str(tmp_path / "none.png"))
    assert code == 2 and "error: logo: there is no file" in err


# --- templates and the demo -------------------------------------------------------------------

def test_a_broken_template_stops_the_letter_commands_with_exit_2(cli_clinic, tmp_path, monkeypatch):
    shipped = Path(letter_templates.__file__).parents[2] / "resources"
    (tmp_path / "letters").mkdir()
    for specialty in codes.SPECIALTIES:
        (tmp_path / "letters" / f"{specialty}.txt").write_text(
            (shipped / "letters" / f"{specialty}.txt").read_text("utf-8"), "utf-8")
    broken = tmp_path / "letters" / "gp.txt"
    broken.write_text(broken.read_text("utf-8") + "\n- Please note her {shoe_size}.\n", "utf-8")
    monkeypatch.setattr(letter_templates._resources, "files", lambda package: tmp_path)
    register_her(cli_clinic)
    before = in_database(cli_clinic.url, fingerprint)
    for command in (("refer", "--patient", NHS, "--to", "gp", "--urgency", "routine", "--reason", "x"),
                    ("letter", "--patient", NHS, "--to", "gp", "--reason", "x", "-o", str(tmp_path / "x.pdf")),
                    ("letters", "--due", "-o", str(tmp_path / "due"))):
        code, _, err = run("--database", cli_clinic.url, *command)
        assert code == 2, command
        assert "letters/gp.txt" in err and "{shoe_size}" in err and "Traceback" not in err
    assert in_database(cli_clinic.url, fingerprint) == before
    assert not (tmp_path / "due").exists()


def test_a_new_demo_database_has_a_letterhead_so_its_letters_can_be_issued(empty_database_url, tmp_path,
                                                                          monkeypatch):
    code, _, err = run("--database", empty_database_url, "demo", "--patients", "3", "--seed", "7")
    assert code == 0, err
    monkeypatch.setenv("PAO_CLINIC_USER", "demo.nurse")
    monkeypatch.setenv("PAO_CLINIC_PASSWORD", "demo-password")
    code, document, _ = run("--database", empty_database_url, "export")
    import json
    patient = json.loads(document)["patients"][0]
    who = patient.get("nhs_number") or patient["hospital_number"]
    code, _, err = run("--database", empty_database_url, "letter", "--patient", who, "--to", "physiotherapy",
                       "--reason", "Lifting her baby", "--issue", "-o", str(tmp_path / "demo.pdf"))
    assert code == 0, err
    first = pages_of((tmp_path / "demo.pdf").read_bytes())[0]
    assert "PAO Clinic (DEMO)" in first and "0113 496 0" in first and "example.nhs.uk" in first

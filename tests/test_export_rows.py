"""The export's rows-to-document path writes exactly the document the record path writes.

`services.export_document` reads the database rows straight into the document's objects
(services/export_rows.py); `exchange.document_from_records(load_patient_records())` is the
path through record values that the format's tests stand on.  On both databases, a demo
caseload with every kind of entry, some entries and one woman marked entered in error, gives
the same text byte for byte (units with the micro sign, whole numbers written without
".0", optional values and empty contact details left out).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from pao_clinic import services
from pao_clinic.demo import demo_caseload
from pao_clinic.exchange import document_from_records, document_to_text
from pao_clinic.record import BloodResult, Contact, Fracture, HeightMeasurement
from pao_clinic.services.snapshots import CLINICAL_LISTS
from pao_clinic.storage.models import Patient

EXPORTED_AT = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def _caseload(today: date):
    records = demo_caseload(40, seed=7, today=today)
    first = records[0]
    # values the writer treats specially: a Greek mu in a unit (written as the micro sign), whole
    # numbers stored as decimals (166.0 is written 166), a contact with only some details, no GP,
    # a fracture with a blank note and no pregnancy (both left out)
    records[0] = replace(
        first, contact=Contact(postcode="LS1 4AP", phone=None, email="", address=None), gp=None,
        bloods=first.bloods + (BloodResult(taken_on=today - timedelta(days=3), test="vitamin_d_25oh", value=45.0,
                                           unit="nmol/L"),
                               BloodResult(taken_on=today - timedelta(days=3), test="creatinine", value=61.5,
                                           unit="\u00b5mol/L")),
        heights=first.heights + (HeightMeasurement(measured_on=today - timedelta(days=2), cm=166.0),),
        fractures=first.fractures + (Fracture(ref="fx-extra", site="l2", identified_on=today - timedelta(days=9),
                                              imaging="mri", trauma="none", note="   "),))
    return records


def _both_paths(patient=None):
    if patient is None:
        expected = document_from_records(services.load_patient_records(), exported_at=EXPORTED_AT)
    else:
        expected = document_from_records(services.load_patient_records([services.find_patient_id(patient)]),
                                         exported_at=EXPORTED_AT)
    return services.export_document(patient, exported_at=EXPORTED_AT), expected


def test_rows_give_the_record_path_document_byte_for_byte(clinic):
    today = date.today()
    records = _caseload(today)
    ids = services.import_records(clinic.nurse, records)

    marked = {}
    for clinical_list in CLINICAL_LISTS:  # the first live entry of every list taken out of the record
        row = clinical_list.model.select().order_by(clinical_list.model.id.desc()).first()
        if clinical_list.name == "pregnancies":
            continue  # what refers to a pregnancy would have to go first; pregnancies are read whole
        services.mark_entered_in_error(clinic.consultant, clinical_list.record_type, row.id,
                                       expected_version=row.version, reason="typed on the wrong record")
        marked[clinical_list.name] = row.id
    gone = records[5]
    Patient.update(entered_in_error_at=datetime.now(timezone.utc)).where(Patient.id == ids[5]).execute()

    document, expected = _both_paths()
    assert document_to_text(document) == document_to_text(expected)
    assert document == expected

    patients = document["patients"]
    assert len(patients) == len(records) - 1
    assert gone.ref not in {p["ref"] for p in patients}
    for clinical_list in CLINICAL_LISTS:  # every kind of entry is in the document, and the marked ones are not
        stored = clinical_list.model.select().where(clinical_list.model.patient != ids[5]
                                                    ).where(clinical_list.model.entered_in_error_at.is_null()).count()
        assert sum(len(p[clinical_list.name]) for p in patients) == stored > 0, clinical_list.name
    assert len(marked) == len(CLINICAL_LISTS) - 1

    text = document_to_text(document)
    first = next(p for p in patients if p["ref"] == records[0].ref)
    assert first["contact"] == {"postcode": "LS1 4AP"} and "gp" not in first
    assert {"measured_on": (today - timedelta(days=2)).isoformat(), "cm": 166} in first["heights"]
    assert '"cm": 166\n' in text
    extra = next(f for f in first["fractures"] if f["ref"] == "fx-extra")
    assert "note" not in extra and "pregnancy" not in extra and "side" not in extra
    assert {"taken_on": (today - timedelta(days=3)).isoformat(), "test": "creatinine", "value": 61.5,
            "unit": "\u00b5mol/L"} in first["bloods"]
    assert '"unit": "\u00b5mol/L"' in text and '"value": 45,' in text
    assert all(isinstance(e["breastfed"], bool) for p in patients for e in p["breastfeeding"])
    assert all(isinstance(e["effective"], bool) for p in patients for e in p["contraception"])

    one = records[0].nhs_number or records[0].hospital_number
    single, expected_single = _both_paths(one)
    assert document_to_text(single) == document_to_text(expected_single)
    assert [p["ref"] for p in single["patients"]] == [records[0].ref]


def test_an_empty_caseload_and_an_empty_choice(clinic):
    document, expected = _both_paths()
    assert document == expected and document["patients"] == []
    from pao_clinic.services.export_rows import exchange_patients

    assert exchange_patients([]) == []


def test_a_days_blood_results_are_ordered_by_their_whole_text():
    """Ordering a day's results by test code, then by the whole text, is the order the format names
    (by date, then by the whole entry written with sorted keys): checked against that, for every test
    code, a test given twice (whose values' text decides: 10 before 9.5) and days out of order."""
    import json
    import random

    from pao_clinic import record
    from pao_clinic.record import codes

    day = date(2025, 3, 12)
    bloods = [BloodResult(taken_on=day - timedelta(days=index % 3), test=test, value=float(index % 7) + 0.5,
                          unit=codes.BLOOD_TEST_UNITS[test]) for index, test in enumerate(codes.BLOOD_TESTS)]
    bloods += [BloodResult(taken_on=day, test="pth", value=value, unit="pmol/L") for value in (10.0, 9.5, 10.0)]
    random.Random(4).shuffle(bloods)
    woman = record.PatientRecord(ref="pt1", nhs_number="9434765919", family_name="Jones", given_name="Ann",
                                 date_of_birth=date(1990, 1, 1), bloods=tuple(bloods))
    written = document_from_records([woman], exported_at=EXPORTED_AT)["patients"][0]["bloods"]
    expected = sorted(written, key=lambda b: (b["taken_on"], json.dumps(b, ensure_ascii=False, sort_keys=True)))
    assert written == expected
    assert [b["value"] for b in written if b["test"] == "pth" and b["taken_on"] == day.isoformat()] == [10, 10, 3.5, 9.5]

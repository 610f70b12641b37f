"""A real caseload warns when an NHS number never issued to a real person is entered; a demo does not."""

from __future__ import annotations

from datetime import date

from pao_clinic import services
from pao_clinic.record import PatientRecord


def patient(nhs_number: str | None, n: int) -> PatientRecord:
    return PatientRecord(ref=f"w{n}", family_name="Okafor", given_name=f"Amara{n}", date_of_birth=date(1992, 3, 14),
                         hospital_number=f"RX{n:04d}", nhs_number=nhs_number)


def test_a_real_caseload_is_warned_of_test_range_numbers_by_their_place(clinic):
    records = [patient("4010232137", 1), patient("9990000018", 2), patient(None, 3), patient("943 476 5919", 4)]
    warnings = services.never_issued_number_warnings(records)
    assert [w.path for w in warnings] == ["patients[1].nhs_number", "patients[3].nhs_number"]
    assert "999 000 0018 is never issued to real people" in warnings[0].message
    assert "943 476 5919 is never issued to real people" in warnings[1].message


def test_a_demo_caseload_is_not_warned(clinic):
    from pao_clinic.demo import demo_caseload
    from pao_clinic.storage.models import ClinicSetting

    demo = demo_caseload(5, seed=2, today=date(2026, 3, 1))
    assert services.never_issued_number_warnings(demo)  # a real caseload would be
    ClinicSetting.create(name=services.DEMO_FLAG, value="1")
    assert services.never_issued_number_warnings(demo) == []

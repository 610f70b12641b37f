"""A real caseload warns when an NHS number never issued to a real person is entered; a demo does not."""

from __future__ import annotations

from datetime import date

from pao_clinic import services
from pao_clinic.record import PatientRecord


def patient(nhs_number: str | None, n: int) -> PatientRecord:
    return PatientRecord(ref=f"w{n}", family_name="Okafor", given_name="Amara" + "abcdefgh"[n], date_of_birth=date(1992, 3, 14),
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


def test_importing_a_never_issued_number_into_a_real_caseload_warns_by_its_place(clinic, signed_in_env, tmp_path):
    import json

    from pao_clinic.exchange import document_from_records, document_to_text
    from pao_clinic.storage.connection import close_database

    from .test_cli import run

    document = document_from_records([patient("4010232137", 1), patient("9990000018", 2)],
                                     exported_at=__import__("datetime").datetime(2026, 3, 1, 9, 0,
                                                                                 tzinfo=__import__("datetime").timezone.utc))
    path = tmp_path / "two.json"
    path.write_text(document_to_text(document), encoding="utf-8")
    close_database()
    signed_in_env("nina.nurse")
    code, _out, err = run("--database", clinic.url, "import", str(path))
    assert code == 0, err
    order = [p["nhs_number"] for p in json.loads(path.read_text(encoding="utf-8"))["patients"]]
    where = order.index("9990000018")
    assert f"warning: patients[{where}].nhs_number: NHS number 999 000 0018 is never issued" in err
    assert "401 023 2137" not in err and "imported 2 patients" in err

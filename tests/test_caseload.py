"""The caseload list and the worklist read the whole clinic with a fixed number of queries."""

from __future__ import annotations

import json
from datetime import date

from pao_clinic import services
from pao_clinic.record.dates import age_on
from pao_clinic.storage.connection import counting_queries
from pao_clinic.demo import demo_caseload
from pao_clinic.exchange import read_document_text

from .conftest import DATA

TODAY = date(2026, 11, 22)


def queries_for(fn) -> int:
    with counting_queries() as counted:
        fn()
    return counted.count


def test_caseload_and_worklist_query_counts_do_not_grow_with_the_caseload(clinic):
    records = demo_caseload(60, seed=5, today=TODAY)
    services.import_records(clinic.nurse, records[:4])
    small = (queries_for(lambda: services.caseload_rows(TODAY)), queries_for(lambda: services.caseload_worklist(TODAY)))
    assert len(services.caseload_rows(TODAY)) == 4
    services.import_records(clinic.nurse, records[4:])
    large = (queries_for(lambda: services.caseload_rows(TODAY)), queries_for(lambda: services.caseload_worklist(TODAY)))
    assert len(services.caseload_rows(TODAY)) == 60
    assert large == small
    assert max(large) <= 20  # one per table, and a couple of settings reads


def test_a_caseload_row_summarises_her_record(clinic):
    text = (DATA / "gate_examples" / "example1.json").read_text(encoding="utf-8")
    services.import_records(clinic.nurse, read_document_text(text, today=TODAY))
    (row,) = services.caseload_rows(date(2025, 6, 1))
    doc = json.loads(text)["patients"][0]
    assert row.nhs_number == "943 476 5919"
    assert row.latest_delivery == date(2025, 3, 2)
    assert row.fracture_count == len(doc["fractures"]) == 2
    assert row.lowest_z == -2.6
    assert row.lactation == "breastfeeding"
    assert row.age == age_on(date.fromisoformat(doc["date_of_birth"]), date(2025, 6, 1))


def test_the_overview_gives_the_same_lines_and_tasks_as_the_two_lists_from_one_read(clinic):
    services.import_records(clinic.nurse, demo_caseload(30, seed=9, today=TODAY))
    overview = services.caseload_overview(TODAY)
    assert list(overview.rows) == services.caseload_rows(TODAY)
    assert list(overview.tasks) == services.caseload_worklist(TODAY)
    assert queries_for(lambda: services.caseload_overview(TODAY)) == queries_for(
        lambda: services.caseload_worklist(TODAY))




def test_the_caseload_reads_less_of_each_record_and_gives_what_the_whole_record_gives(clinic):
    from pao_clinic.gate import worklist
    from pao_clinic.services.caseload import caseload_row

    services.import_records(clinic.nurse, demo_caseload(40, seed=11, today=TODAY))
    whole = services.load_patient_records()
    assert any(r.contraception for r in whole) and any(r.dental_reviews for r in whole)
    assert any(r.risk_factors for r in whole)
    for day in (TODAY, date(2025, 1, 15)):
        assert services.caseload_worklist(day) == worklist(whole, day, services.clinic_settings())
        assert services.caseload_rows(day) == [caseload_row(r, day) for r in whole]



def test_the_caseload_is_read_in_batches_of_women_with_the_same_answer(clinic, monkeypatch):
    from pao_clinic.services import snapshots
    from pao_clinic.services.caseload import CASELOAD_LISTS

    services.import_records(clinic.nurse, demo_caseload(23, seed=13, today=TODAY))
    whole = services.load_patient_records()
    batches = list(snapshots.patient_record_batches(5))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    assert [r for b in batches for r in b] == whole
    in_one = (services.caseload_rows(TODAY), services.caseload_worklist(TODAY),
              queries_for(lambda: services.caseload_overview(TODAY)))
    one_round = queries_for(lambda: list(snapshots.patient_record_batches(100, lists=CASELOAD_LISTS,
                                                                          risk_factors=False)))
    monkeypatch.setattr(snapshots, "RECORD_BATCH", 5)
    assert services.caseload_rows(TODAY) == in_one[0] and services.caseload_worklist(TODAY) == in_one[1]
    # a fixed number of statements per batch of women (five batches here), never one per woman
    assert queries_for(lambda: services.caseload_overview(TODAY)) == in_one[2] + 4 * one_round


FIRST_LINE_FIELDS = ("patient_id", "family_name", "given_name", "date_of_birth", "nhs_number", "hospital_number",
                     "age", "latest_delivery", "fracture_count", "open_referrals")


def test_first_lines_are_one_select_and_agree_with_the_worked_out_lines(clinic):
    records = demo_caseload(40, seed=3, today=TODAY)
    services.import_records(clinic.nurse, records[:5])
    from pao_clinic.services.caseload import caseload_first_rows

    small = queries_for(lambda: caseload_first_rows(TODAY))
    services.import_records(clinic.nurse, records[5:])
    assert queries_for(lambda: caseload_first_rows(TODAY)) == small == 1
    first, full = caseload_first_rows(TODAY), services.caseload_rows(TODAY)
    assert [r.patient_id for r in first] == [r.patient_id for r in full] and len(first) == 40
    for quick, worked_out in zip(first, full):
        assert {f: getattr(quick, f) for f in FIRST_LINE_FIELDS} == {f: getattr(worked_out, f) for f in FIRST_LINE_FIELDS}
        assert not quick.worked_out and worked_out.worked_out
        assert quick.flags == () and quick.lowest_z is None and quick.open_tasks == 0
    assert any(r.latest_delivery for r in first) and any(r.fracture_count for r in first)
    assert any(r.open_referrals for r in first)
    # on a day before her births, none of them counts as her latest delivery
    earliest = min(r.latest_delivery for r in first if r.latest_delivery)
    before = {r.patient_id: r for r in caseload_first_rows(earliest)}
    assert before == {r.patient_id: r for r in caseload_first_rows(earliest)}
    assert all(r.latest_delivery is None or r.latest_delivery <= earliest for r in before.values())
    assert {r.patient_id: r.latest_delivery for r in before.values()} == {
        r.patient_id: r.latest_delivery for r in services.caseload_rows(earliest)}


# --- status flags, from the gate's facts and rules and her tasks ------------------------------

from dataclasses import replace  # noqa: E402

from pao_clinic.gate.task_words import TASK_WORDS  # noqa: E402
from pao_clinic.gate.worklist import TASK_CODES  # noqa: E402
from pao_clinic.services.caseload import (  # noqa: E402
    FLAG_BREASTFEEDING, FLAG_DECISION_DUE, FLAG_KINDS, FLAG_MOOD, FLAG_PREGNANT, FLAG_REFERRAL_OVERDUE,
    FLAG_REPEAT_FRACTURE,
)

from .gate_builders import (  # noqa: E402
    D, birth, breastfed, days, decision, epds, ongoing_pregnancy, referral, treatable_record, vertebral,
    well_documented_record,
)


def flagged_patients(d: date = D) -> dict[str, object]:
    """One woman for each flag (and each "Do this now"), on day `d`, by the hospital number she is found by."""
    def who(n: int, family: str, given: str, nhs: str | None = None) -> dict:
        return dict(ref=f"p{n}", family_name=family, given_name=given, nhs_number=nhs, hospital_number=f"HX{n:04d}")

    weaned_and_decided = dict(decisions=(decision(d - days(30)),))
    return {
        "breastfeeding": treatable_record(
            d, **who(1, "Åberg", "Nicola", "9434765919"), pregnancies=(birth("b1", d - days(100)),),
            breastfeeding=(breastfed("b1", d - days(100), planned_stop_on=d + days(30)),),
            fractures=(vertebral("l1", 2, d - days(90)),)),
        "pregnant": well_documented_record(
            d, **who(2, "Wiśniewska-O'Brien", "Łucja", "9434765927"),
            pregnancies=(birth("b1", d - days(700)), ongoing_pregnancy("b2")),
            breastfeeding=(breastfed("b1", d - days(700), stopped_on=d - days(400)),)),
        "decision_due": treatable_record(d, **who(3, "Begum", "Inês", "9434765935")),
        "repeat_fracture": treatable_record(
            d, **who(4, "Ní Bhriain", "Siobhán"), **weaned_and_decided,
            fractures=(vertebral("l1", 2, d - days(150)), vertebral("l2", 2, d - days(150)),
                       vertebral("t12", 2, d - days(10)))),
        "referral_overdue": treatable_record(
            d, **who(5, "Nguyễn", "Thảo"), **weaned_and_decided,
            referrals=(referral(status="sent", created_on=d - days(100), sent_on=d - days(100)),)),
        "mood": well_documented_record(d, **who(6, "Ødegaard", "Søs"), epds=(epds(d - days(5), 15, 1),)),
        "feeding_check": treatable_record(
            d, **who(7, "Brontë", "Zoë"), pregnancies=(birth("b1", d - days(100)),),
            breastfeeding=(breastfed("b1", d - days(100), planned_stop_on=d - days(10)),)),
        "lactation_unknown": treatable_record(
            d, **who(8, "Kowalczyk", "Ada"), pregnancies=(birth("b1", d - days(100)),), breastfeeding=()),
        "referral_unsent": treatable_record(
            d, **who(9, "Mensah", "Efua"), **weaned_and_decided,
            referrals=(referral(status="draft", created_on=d - days(60)),)),
        "nothing": well_documented_record(d, **who(10, "Smith", "Amy")),
    }


EXPECTED_FLAGS = {
    "breastfeeding": {FLAG_BREASTFEEDING},
    "pregnant": {FLAG_PREGNANT},
    "decision_due": {FLAG_DECISION_DUE},
    "repeat_fracture": {FLAG_REPEAT_FRACTURE},
    "referral_overdue": {FLAG_REFERRAL_OVERDUE},
    "mood": {FLAG_MOOD},
    "feeding_check": {FLAG_BREASTFEEDING},   # planned stop passed: still breastfeeding until she says
    "lactation_unknown": set(),
    "referral_unsent": set(),
    "nothing": set(),
}


def import_flagged(clinic) -> dict[str, services.CaseloadRow]:
    patients = flagged_patients(D)
    services.import_records(clinic.nurse, list(patients.values()))
    by_number = {r.hospital_number: r for r in services.caseload_rows(D)}
    return {case: by_number[record.hospital_number] for case, record in patients.items()}


def test_each_flag_is_on_the_woman_built_for_it_and_says_so_in_words(clinic):
    rows = import_flagged(clinic)
    assert {case: {f.kind for f in row.flags} for case, row in rows.items()} == EXPECTED_FLAGS
    words = {case: row.flag_words for case, row in rows.items() if row.flags}
    assert words["breastfeeding"] == ("Blocked: breastfeeding",)
    assert words["pregnant"] == ("Blocked: pregnant",)
    assert words["decision_due"] == ("Decision due",)
    assert words["repeat_fracture"] == ("Repeat fracture",)
    assert words["referral_overdue"] == ("Referral overdue",)
    assert words["mood"] == ("Mood: EPDS 15, self-harm",)
    # the detail says why, in the gate's and the worklist's own words
    (feeding,) = rows["breastfeeding"].flags
    assert feeding.detail.startswith("BF-1: Breastfeeding (planned to stop on ")
    (pregnant,) = rows["pregnant"].flags
    assert pregnant.detail.startswith("PREG-1: Pregnant on ")
    (repeat,) = rows["repeat_fracture"].flags
    assert repeat.urgent and "T12 grade 2" in repeat.detail
    assert rows["mood"].flags[0].urgent and rows["mood"].urgent_tasks == 1
    assert not rows["decision_due"].flags[0].urgent
    for row in rows.values():
        assert all(f.kind in FLAG_KINDS and f.text and f.detail for f in row.flags)


def test_the_flags_and_task_counts_agree_with_the_days_worklist(clinic):
    rows = import_flagged(clinic)
    tasks = services.caseload_worklist(D)
    by_patient: dict[str, list] = {}
    for task in tasks:
        by_patient.setdefault(task.patient, []).append(task)
    for row in rows.values():
        hers = by_patient.get((row.nhs_number or row.hospital_number).replace(" ", ""), [])
        codes = {t.code for t in hers}
        assert row.open_tasks == len(hers)
        assert row.urgent_tasks == sum(1 for t in hers if t.priority == "urgent")
        assert row.has_flag(FLAG_DECISION_DUE) == ("DECISION-DUE" in codes)
        assert row.has_flag(FLAG_REFERRAL_OVERDUE) == ("REFERRAL-OVERDUE" in codes)
        assert row.has_flag(FLAG_MOOD) == ("MOOD" in codes)


def test_a_row_gives_her_date_of_birth(clinic):
    rows = import_flagged(clinic)
    patients = flagged_patients(D)
    for case, row in rows.items():
        assert row.date_of_birth == patients[case].date_of_birth


def test_flags_follow_the_day_the_caseload_is_read_for(clinic):
    rows = import_flagged(clinic)
    # a day before her new fracture was identified: no repeat fracture yet
    earlier = {r.hospital_number: r for r in services.caseload_rows(D - days(20))}
    assert not earlier[rows["repeat_fracture"].hospital_number].has_flag(FLAG_REPEAT_FRACTURE)
    # a day after her planned stop has passed, and feeding is still on record as going on
    later = {r.hospital_number: r for r in services.caseload_rows(D + days(40))}
    assert later[rows["breastfeeding"].hospital_number].has_flag(FLAG_BREASTFEEDING)


def test_the_flag_query_count_does_not_grow_with_flagged_patients(clinic):
    patients = list(flagged_patients(D).values())
    services.import_records(clinic.nurse, patients[:2])
    small = queries_for(lambda: services.caseload_rows(D))
    services.import_records(clinic.nurse, [replace(p, ref=f"{p.ref}-again", nhs_number=None,
                                                   hospital_number=f"{p.hospital_number}B") for p in patients]
                            + patients[2:])
    assert len(services.caseload_rows(D)) == 2 * len(patients)
    assert queries_for(lambda: services.caseload_rows(D)) == small


def test_every_task_code_has_words_that_are_not_the_code():
    assert set(TASK_WORDS) == set(TASK_CODES)
    for code, words in TASK_WORDS.items():
        assert words[0].isupper() and not words.isupper() and code not in words  # a sentence, not the code
    assert TASK_WORDS["REPEAT-FRACTURE"] == "Repeat fracture since last decision"


def test_an_overview_updated_for_the_women_who_changed_is_the_overview_read_again(clinic):
    from pao_clinic.record import EpdsScreen
    from pao_clinic.services.caseload import caseload_overview_updated

    records = demo_caseload(40, seed=11, today=TODAY)
    ids = services.import_records(clinic.nurse, records[:30])
    before = services.caseload_overview(TODAY)
    # one woman screened (a mood task and flag), one woman's fracture taken out, one woman new
    services.add_clinical_entry(clinic.nurse, ids[3], EpdsScreen(assessed_on=TODAY, score=25, self_harm_item=2),
                                today=TODAY)
    fractured = next(pid for pid in ids if services.patient_view(pid, TODAY).fractures)
    fracture = services.patient_view(fractured, TODAY).fractures[0]
    services.mark_entered_in_error(clinic.nurse, "fracture", fracture.id, expected_version=fracture.version,
                                   reason="another woman's")
    (newcomer,) = services.import_records(clinic.nurse, records[30:31])
    changed = {ids[3], fractured, newcomer, 999_999}  # and an id that is no live woman's: no line
    with counting_queries() as counted:
        updated = caseload_overview_updated(before, changed)
    assert counted.count <= 20  # her tables once each, not the caseload's
    again = services.caseload_overview(TODAY)
    assert updated.rows == again.rows and updated.tasks == again.tasks
    assert dict(updated.tasks_by_patient) == dict(again.tasks_by_patient)
    assert updated.rows != before.rows and updated.tasks != before.tasks  # the changes are in it
    assert any(t.code == "MOOD" for t in updated.tasks_by_patient[ids[3]])
    # nobody named: the same overview; someone named who did not change: the same lines and tasks
    assert caseload_overview_updated(again, ()).rows == again.rows
    assert caseload_overview_updated(again, {ids[0]}).tasks == again.tasks

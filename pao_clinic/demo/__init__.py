"""A synthetic caseload: fictional women with pregnancy-associated osteoporosis (PAO).

`demo_caseload(count, seed=..., today=...)` builds whole `PatientRecord`s for
demonstrations, training, screenshots, tests and `make bench`.  The same arguments
always give the same records (one `random.Random(seed)`, no clock, no global state),
and the first N patients of a larger caseload are the N patients of a smaller one.
Nobody is real: NHS numbers from the 999 test range, phone numbers from the drama
range, invented streets with ZZ postcodes (`people.py`).

One woman's history is told part by part, one module each, in the order `caseload.py`
puts them together:

    people.py       names, NHS and hospital numbers, contact details, GP
    pregnancies.py  the birth she presented with, earlier and later pregnancies
    feeding.py      breastfeeding after each birth
    fractures.py    vertebral fractures at presentation, repeat fractures
    visits.py       clinic visits, history and risk factors, EPDS, contraception
    scans.py        DEXA scans and heights
    bloods.py       work-up, follow-up and pre-treatment bloods
    treatment.py    calcium and vitamin D, osteoporosis drugs, decisions
    referrals.py    referrals in every status
    choosing.py, history.py   the weighted choices and the history they fill in

The shape is calibrated to published cohorts: figures from the abstracts of Cormier et
al. 2017 (52 women), Qian et al. 2021 (a systematic review), Kyvernitakis et al. 2018
(107 women), Hardcastle et al. 2019, Orhadje et al. 2023, Peltz-Sinvani et al. 2023 and
a survey of 177 women, as gathered in the project's issue 6.  Across those cohorts:

    age at presentation about 32                       demo: mean 32
    breastfeeding when the fractures were found 79 %   demo: about 77 %
    first pregnancy 71-86 %                            demo: about 78 %
    vertebral fractures per woman 3.3-4.7 (mean)       demo: about 4.4
    women with 5 or more vertebral fractures ~48 %     demo: about 48 %
    levels most often hit T11 to L2                    demo: T11, T12, L1, L2 first
    fractures found before delivery 13-19 %            demo: about 14 %
    found from the third trimester to ~2 months
      postpartum 88 %                                  demo: about 88 % by imaging date
    lumbar spine Z-score at the first DEXA about -3.3
      (T-score -3.4)                                   demo: mean -3.3 (T -3.4)
    heparin 20-50 %, corticosteroids ~31 %             demo: 30 % each
    25-OH vitamin D insufficient 40 %                  demo: first result below the gate's
                                                       50 nmol/L in about 40 %, and coded
                                                       `vitamin_d_deficiency` exactly then
    ever given teriparatide or a bisphosphonate,
      followed 2 years or more, 67-84 %                demo: about 74 %

`tests/test_demo.py` checks these on 2,000 women.  Beyond them the demo follows the
clinic's experience: Genant grades mostly 1-2; some women weaned, some never breastfed,
a few whose lactation is not recorded and a few pregnant again; osteoporosis drugs only
once she is neither pregnant nor breastfeeding; every start decision one the medication
gate accepts on its day (with an override reason exactly when it asks for one); between
them the records raise every task of the nurse's worklist; every list is in the order
export writes it, and every record passes the record validator.
"""

from __future__ import annotations

from pao_clinic.demo.caseload import MAX_PATIENTS, demo_caseload

__all__ = ["MAX_PATIENTS", "demo_caseload"]

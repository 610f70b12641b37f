"""The service layer: the one way the clinic's data is read for display and written.

Every write validates, checks the acting user's role, writes, audits and commits in
one transaction (see `session.clinical_write`).  Services take and return plain
values (`pao_clinic.record`, frozen dataclasses), never database rows.
"""

from pao_clinic.services.caseload import CaseloadOverview, CaseloadRow, caseload_overview, caseload_row, caseload_rows, caseload_worklist
from pao_clinic.services.clinic import (
    DEMO_FLAG, check_letter_templates, clinic_settings, close_clinic_database, is_demo_database, open_clinic_database,
    release_thread_connection,
)
from pao_clinic.services.decisions import decision_gate_output, dexa_reading, gate_check, record_decision
from pao_clinic.services.exchange_io import ImportCancelled, export_document, import_records, never_issued_number_warnings
from pao_clinic.services.letters import (
    LETTER_KIND, IssuedLetter, clinic_letterhead, draft_letter, issue_letter, issued_letters, letter_content,
    referral_address_book, reprint_letter,
)
from pao_clinic.services.patient_view import (
    DRUG_GROUPS, AuditHistoryEntry, DrugGroupVerdict, FactLine, PatientAlert, PatientBanner, PatientOverview,
    PatientView, banner_name, patient_audit_history, patient_view,
)
from pao_clinic.services.records import (
    add_clinical_entry, mark_entered_in_error, register_patient, update_clinical_entry, update_patient,
)
from pao_clinic.services.session import ADMIN_ROLES, CLINICAL_ROLES, PRESCRIBING_ROLES, Actor
from pao_clinic.services.users import (
    UserAccount, add_user, authenticate, change_role, deactivate_user, idle_lock_minutes, list_users, reactivate_user,
    reset_password, set_idle_lock_minutes, sign_in_wait, user_account, user_count,
)
from pao_clinic.services.snapshots import (
    CLINICAL_LISTS, find_patient_id, load_patient_record, load_patient_records, patient_count,
)

__all__ = [name for name in dir() if not name.startswith("_")]

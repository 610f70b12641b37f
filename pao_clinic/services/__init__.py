"""The service layer: the one way the clinic's data is read for display and written.

Every write validates, checks the acting user's role, writes, audits and commits in
one transaction (see `session.clinical_write`).  Services take and return plain
values (`pao_clinic.record`, frozen dataclasses), never database rows.

Each name is imported from its module when first used (PEP 562), so a command that
needs the gate does not import the letters' PDF code (reportlab) with it.
"""

from __future__ import annotations

from importlib import import_module

#: Where each service lives: name -> module of pao_clinic.services.
_MODULE_OF: dict[str, str] = {
    # caseload
    "CaseloadOverview": "caseload",
    "CaseloadRow": "caseload",
    "caseload_overview": "caseload",
    "caseload_row": "caseload",
    "caseload_rows": "caseload",
    "caseload_worklist": "caseload",
    "caseload_first_rows": "caseload",
    "caseload_overview_updated": "caseload",
    # clinic
    "DEMO_FLAG": "clinic",
    "check_letter_templates": "clinic",
    "clinic_settings": "clinic",
    "close_clinic_database": "clinic",
    "is_demo_database": "clinic",
    "open_clinic_database": "clinic",
    "release_thread_connection": "clinic",
    # decisions
    "decision_gate_output": "decisions",
    "dexa_reading": "decisions",
    "gate_check": "decisions",
    "record_decision": "decisions",
    # exchange_io
    "ImportCancelled": "exchange_io",
    "export_document": "exchange_io",
    "import_records": "exchange_io",
    "never_issued_number_warnings": "exchange_io",
    # letters
    "LETTER_KIND": "letters",
    "IssuedLetter": "letters",
    "clinic_letterhead": "letters",
    "draft_letter": "letters",
    "issue_letter": "letters",
    "issued_letters": "letters",
    "letter_content": "letters",
    "referral_address_book": "letters",
    "reprint_letter": "letters",
    # patient_view
    "DRUG_GROUPS": "patient_view",
    "AuditHistoryEntry": "patient_view",
    "DrugGroupVerdict": "patient_view",
    "FactLine": "patient_view",
    "PatientAlert": "patient_view",
    "PatientBanner": "patient_view",
    "PatientOverview": "patient_view",
    "PatientView": "patient_view",
    "banner_name": "patient_view",
    "patient_audit_history": "patient_view",
    "patient_view": "patient_view",
    # records
    "add_clinical_entry": "records",
    "mark_entered_in_error": "records",
    "register_patient": "records",
    "update_clinical_entry": "records",
    "update_patient": "records",
    # session
    "ADMIN_ROLES": "session",
    "CLINICAL_ROLES": "session",
    "PRESCRIBING_ROLES": "session",
    "Actor": "session",
    # users
    "UserAccount": "users",
    "add_user": "users",
    "authenticate": "users",
    "change_role": "users",
    "deactivate_user": "users",
    "idle_lock_minutes": "users",
    "list_users": "users",
    "reactivate_user": "users",
    "reset_password": "users",
    "set_idle_lock_minutes": "users",
    "sign_in_wait": "users",
    "user_account": "users",
    "user_count": "users",
    # snapshots
    "CLINICAL_LISTS": "snapshots",
    "find_patient_id": "snapshots",
    "load_patient_record": "snapshots",
    "load_patient_records": "snapshots",
    "patient_count": "snapshots",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'pao_clinic.services' has no attribute {name!r}")
    value = getattr(import_module(f"pao_clinic.services.{module}"), name)
    globals()[name] = value  # the next use is a plain look-up
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# A service named like its own module: importing the module (anyone's `import
# pao_clinic.services.patient_view`) would set the package's attribute to the module,
# hiding the function from __getattr__. Bound now, the function wins.
from pao_clinic.services.patient_view import patient_view  # noqa: E402

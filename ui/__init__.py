"""The PAO Clinic desktop application (PySide6). Calls pao_clinic services only."""

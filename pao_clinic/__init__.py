"""PAO Clinic domain core: records, rules, services, exchange format, CLI.

Plain Python: this package never imports Qt (PySide6) or the `ui` package.
"""

__version__ = "0.1.0"

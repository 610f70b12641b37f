"""The Timeline section of her record: the treatment timeline with its toolbar.

Zoom in, Zoom out, Fit (her whole record), Save as PNG... and Print... above the chart;
a line saying how to move about it and anything that could not be placed on it.
Clicking an entry on the chart emits `entry_activated(record_type, record_id)`, for the
record window to open that entry.  Printing goes through `print_to(printer)`, which
tests call with a PDF QPrinter; `print_dialog()` and `ask_png_path()` are the modal
steps, replaceable in tests.
"""

from __future__ import annotations

from PySide6.QtCore import QMarginsF, QSize, Qt, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pao_clinic.record.dates import written_date
from pao_clinic.services.patient_view import PatientView
from pao_clinic.timeline import patient_timeline

from .patient_record import RecordSection
from .timeline_view import TimelineView


class TimelineSection(RecordSection):
    """Her story on one time axis, for the consultant's review."""

    key = "timeline"
    title = "Timeline"

    entry_activated = Signal(str, int)   # record_type, record_id: open this entry

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("section_timeline")
        self.view_shown: PatientView | None = None

        self.heading = QLabel("Timeline")
        self.heading.setObjectName("recordSectionTitle")
        self.chart = TimelineView()
        self.chart.item_activated.connect(self.entry_activated)

        self.zoom_in_button = self._button("Zoom in", "zoomInButton", "Zoom in on the middle of the chart (+ key)",
                                           self.chart.zoom_in)
        self.zoom_out_button = self._button("Zoom out", "zoomOutButton", "Zoom out (- key)", self.chart.zoom_out)
        self.fit_button = self._button("Fit", "fitButton", "Show her whole record (F key)", self.chart.fit_to_record)
        self.save_button = self._button("Save as PNG\u2026", "savePngButton", "Save the chart as a PNG image",
                                        self._on_save_button_clicked)
        self.print_button = self._button("Print\u2026", "printButton", "Print the chart, black on white",
                                         self._on_print_button_clicked)
        self.help_label = QLabel("Ctrl+wheel or + and \u2212 zoom; drag or the arrow keys move; F fits her record; "
                                 "T shows today. Hover for dates and weeks postpartum; click to open the entry.")
        self.help_label.setObjectName("timelineHelp")
        self.help_label.setWordWrap(True)
        self.unplaced_label = QLabel()
        self.unplaced_label.setObjectName("timelineUnplaced")
        self.unplaced_label.setWordWrap(True)
        self.unplaced_label.hide()
        self.status_label = QLabel()
        self.status_label.setObjectName("timelineStatus")
        self.status_label.setAccessibleName("Timeline status")

        toolbar = QHBoxLayout()
        toolbar.setContentsMargins(0, 0, 0, 0)
        for button in (self.zoom_in_button, self.zoom_out_button, self.fit_button, self.save_button,
                       self.print_button):
            toolbar.addWidget(button)
        toolbar.addSpacing(12)
        toolbar.addWidget(self.status_label, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addLayout(toolbar)
        layout.addWidget(self.help_label)
        layout.addWidget(self.unplaced_label)
        layout.addWidget(self.chart)
        layout.addStretch(1)

    def _button(self, text: str, name: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(text.rstrip("\u2026"))
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # -- showing her record ------------------------------------------------------------------
    def show_view(self, view: PatientView) -> None:
        same_patient = self.view_shown is not None and self.view_shown.patient_id == view.patient_id
        self.view_shown = view
        timeline = patient_timeline(view.record, view.on, view.settings)
        # a refresh of the same woman keeps the days in view; a new woman is fitted
        self.chart.set_timeline(timeline, fit=not same_patient, low_z=view.settings.low_z_score)
        if timeline.unplaced:
            self.unplaced_label.setText("Not on the chart (no date to place it by): " + "; ".join(timeline.unplaced) + ".")
        self.unplaced_label.setVisible(bool(timeline.unplaced))
        self.status_label.setText(f"As of {written_date(view.on)}: {len(timeline.items)} items")

    # -- saving and printing -------------------------------------------------------------------
    @classmethod
    def ask_png_path(cls, parent: QWidget, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(parent, "Save the timeline as PNG", suggested, "PNG images (*.png)")
        return path

    @classmethod
    def print_dialog(cls, printer: QPrinter, parent: QWidget) -> bool:
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle("Print the timeline")
        return dialog.exec() == QPrintDialog.DialogCode.Accepted

    def suggested_file_name(self) -> str:
        if self.view_shown is None:
            return "timeline.png"
        banner = self.view_shown.banner
        who = (banner.identifier or str(banner.patient_id)).replace(" ", "")
        return f"timeline-{who}-{self.view_shown.on.isoformat()}.png"

    def save_png(self, path: str, size: QSize | None = None) -> bool:
        saved = self.chart.save_png(path, size)
        self.status_label.setText(f"Saved {path}" if saved else f"Could not save {path}")
        return saved

    def _on_save_button_clicked(self) -> None:
        path = self.ask_png_path(self, self.suggested_file_name())
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            self.save_png(path)

    def print_to(self, printer: QPrinter) -> bool:
        """Print the chart on one landscape page: her name, number and the day on top, the chart below."""
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        if printer.pageLayout().pageSize().id() == QPageSize.PageSizeId.Custom:
            printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
        painter = QPainter()
        if not painter.begin(printer):
            self.status_label.setText("Could not start printing")
            return False
        try:
            page = printer.pageLayout().paintRectPixels(printer.resolution())
            page.moveTo(0, 0)
            heading_height = int(page.height() * 0.06)
            font = painter.font()
            font.setPixelSize(max(int(heading_height * 0.45), 8))
            font.setBold(True)
            painter.setFont(font)
            painter.drawText(page.adjusted(0, 0, 0, -(page.height() - heading_height)), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             self._print_heading())
            chart = page.adjusted(0, heading_height, 0, 0)
            self.chart.render_timeline(painter, chart)
        finally:
            painter.end()
        self.status_label.setText("Sent to the printer")
        return True

    def _print_heading(self) -> str:
        if self.view_shown is None:
            return "Treatment timeline"
        banner = self.view_shown.banner
        number = f"NHS {banner.nhs_number}" if banner.nhs_number else f"Hospital number {banner.hospital_number}"
        return (f"Treatment timeline: {banner.name}, born {written_date(banner.date_of_birth)}, {number}; "
                f"as of {written_date(self.view_shown.on)}")

    def _on_print_button_clicked(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if self.print_dialog(printer, self):
            self.print_to(printer)


__all__ = ["TimelineSection"]

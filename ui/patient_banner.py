"""The patient banner: who is open, always visible at the top of her record.

Name as NHS banners write it (`WIŚNIEWSKA-O'BRIEN, Łucja`) big and bold; born, NHS
number and hospital number beside it; her alerts as badges that say what they are
in words ("Pregnant: osteoporosis drugs deferred"): colour only repeats what the
words say.  Every part has an accessible name, and the whole banner reads as one
sentence to a screen reader.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLayout, QLayoutItem, QSizePolicy, QVBoxLayout, QWidget

from pao_clinic.services.patient_view import PatientAlert, PatientBanner

#: What each kind of alert is, spoken before its words (and shown as the badge's lead word).
ALERT_LEADS = {
    "pregnant": "Alert",
    "breastfeeding": "Alert",
    "lactation_unknown": "Ask",
    "mood": "Mood",
    "repeat_fracture": "Fracture",
}


class FlowLayout(QLayout):
    """Lays its items left to right and wraps onto the next line when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            width = min(hint.width(), max(area.width(), 1))
            if x > area.x() and x + width > area.right() + 1:
                x, y, line_height = area.x(), y + line_height + self._spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += width + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class AlertBadge(QLabel):
    """One alert: its words on a tinted background, its detail as tooltip and description."""

    def __init__(self, alert: PatientAlert, parent: QWidget | None = None):
        lead = ALERT_LEADS.get(alert.kind, "Alert")
        super().__init__(f"<b>{lead}:</b> {_escaped(alert.text)}", parent)
        self.alert = alert
        self.setObjectName("alertBadge")
        self.setProperty("alert", alert.kind)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setToolTip(alert.detail)
        self.setAccessibleName(f"{lead}: {alert.text}")
        self.setAccessibleDescription(alert.detail)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def words(self) -> str:
        return self.alert.text


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PatientBannerWidget(QFrame):
    """The banner of one open record; `set_banner(None)` shows that she is loading."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.banner: PatientBanner | None = None
        self.setObjectName("patientBanner")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.name_label = QLabel("Loading her record\u2026")
        self.name_label.setObjectName("bannerName")
        self.name_label.setTextFormat(Qt.TextFormat.PlainText)
        big = self.name_label.font()  # big and bold even without the stylesheet
        big.setBold(True)
        big.setPointSizeF(max(big.pointSizeF(), 10) * 1.6)
        self.name_label.setFont(big)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_label.setAccessibleName("Patient name")
        self.born_label = self._detail_label("bannerBorn", "Date of birth and age")
        self.nhs_label = self._detail_label("bannerNhsNumber", "NHS number")
        self.hospital_label = self._detail_label("bannerHospitalNumber", "Hospital number")

        top = QHBoxLayout()
        top.setSpacing(18)
        top.addWidget(self.name_label)
        top.addWidget(self.born_label)
        top.addWidget(self.nhs_label)
        top.addWidget(self.hospital_label)
        top.addStretch(1)

        self.alerts_area = QWidget()
        self.alerts_area.setObjectName("bannerAlerts")
        self.alerts_area.setAccessibleName("Alerts")
        self.alerts_layout = FlowLayout(self.alerts_area)
        self.no_alerts_label = QLabel("No alerts")
        self.no_alerts_label.setObjectName("noAlerts")
        self.alerts_layout.addWidget(self.no_alerts_label)
        self.badges: list[AlertBadge] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.alerts_area)
        self.set_banner(None)

    @staticmethod
    def _detail_label(object_name: str, accessible: str) -> QLabel:
        label = QLabel()
        label.setObjectName(object_name)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setAccessibleName(accessible)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def set_banner(self, banner: PatientBanner | None) -> None:
        self.banner = banner
        for badge in self.badges:
            self.alerts_layout.removeWidget(badge)
            badge.deleteLater()
        self.badges = []
        if banner is None:
            self.name_label.setText("Loading her record\u2026")
            for label in (self.born_label, self.nhs_label, self.hospital_label):
                label.setText("")
            self.no_alerts_label.hide()
            self.setAccessibleName("Patient banner: loading")
            return
        self.name_label.setText(banner.name)
        self.born_label.setText(f"Born <b>{banner.born}</b>")
        self.nhs_label.setText(f"NHS <b>{banner.nhs_number}</b>" if banner.nhs_number else "No NHS number")
        self.hospital_label.setText(
            f"Hospital no. <b>{_escaped(banner.hospital_number)}</b>" if banner.hospital_number else "No hospital number")
        for alert in banner.alerts:
            badge = AlertBadge(alert, self.alerts_area)
            self.alerts_layout.addWidget(badge)
            badge.show()  # a child added after its parent was shown stays hidden until asked
            self.badges.append(badge)
        self.no_alerts_label.setVisible(not banner.alerts)
        self.setAccessibleName(f"Patient banner: {self.spoken_text()}")
        self.updateGeometry()

    def spoken_text(self) -> str:
        """The banner as one line of plain text (what a screen reader or a test reads)."""
        b = self.banner
        if b is None:
            return "Loading her record"
        numbers = [f"NHS {b.nhs_number}" if b.nhs_number else "no NHS number",
                   f"hospital number {b.hospital_number}" if b.hospital_number else "no hospital number"]
        alerts = "; ".join(badge.accessibleName() for badge in self.badges) or "no alerts"
        return f"{b.name}, born {b.born}, {', '.join(numbers)}. Alerts: {alerts}"

    def alert_texts(self) -> list[str]:
        return [badge.words() for badge in self.badges]

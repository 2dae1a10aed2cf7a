"""The pay part of the project dialog: currency, reward or hourly rate, estimate, floor, the
gold bonus rule and the period. Amounts are typed as text and kept as exact decimals; the
core checks them (no float ever holds money)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QSpinBox

from annotator.core.pay import PayTerms, pay_terms
from annotator.db.pay_models import PAY_PERIODS


def _text(value) -> str:
    return "" if value is None else f"{value.normalize():f}"


class PayFields(QGroupBox):
    def __init__(self, worker, project_id: int | None, parent=None):
        super().__init__("Pay", parent)
        self.currency = QLineEdit()
        self.currency.setPlaceholderText("USD, EUR, GBP…")
        self.currency.setToolTip("An ISO 4217 code. Leave it empty and the project pays nothing.")
        self.reward = QLineEdit()
        self.reward.setPlaceholderText("per approved item: 0.05")
        self.hourly = QLineEdit()
        self.hourly.setPlaceholderText("or per active hour: 15")
        self.estimate = QSpinBox(minimum=0, maximum=24 * 3600, suffix=" s")
        self.estimate.setSpecialValueText("not given")
        self.floor = QLineEdit()
        self.floor.setPlaceholderText("minimum per active hour: 12")
        self.bonus = QLineEdit()
        self.bonus.setPlaceholderText("per approved item: 0.01")
        self.bonus_gold = QDoubleSpinBox(minimum=0, maximum=1, singleStep=0.05, value=0.9)
        self.period = QComboBox()
        self.period.addItems(PAY_PERIODS)
        form = QFormLayout(self)
        for label, w in (("Currency", self.currency), ("Reward", self.reward), ("Hourly rate", self.hourly),
                         ("Estimated time", self.estimate), ("Floor per hour", self.floor), ("Gold bonus", self.bonus),
                         ("…at gold accuracy", self.bonus_gold), ("Pay period", self.period)):
            form.addRow(label, w)
        note = QLabel("Approved work earns its reward. When a period's rewards per measured active hour fall "
                      "below the floor, a top-up makes up the difference.")
        note.setWordWrap(True)
        note.setObjectName("hint")
        form.addRow(note)
        self.setMinimumWidth(340)
        if project_id is not None:
            worker.call(lambda s: pay_terms(s, project_id), self.show_terms, write=False)

    def show_terms(self, terms: PayTerms | None) -> None:
        if terms is None:
            return
        self.currency.setText(terms.currency)
        self.reward.setText(_text(terms.reward))
        self.hourly.setText(_text(terms.hourly))
        self.estimate.setValue(terms.estimate_seconds or 0)
        self.floor.setText(_text(terms.floor))
        self.bonus.setText(_text(terms.bonus))
        if terms.bonus_min_gold is not None:
            self.bonus_gold.setValue(terms.bonus_min_gold)
        self.period.setCurrentText(terms.period)

    def values(self) -> dict | None:
        """set_pay's keywords, or None when no currency is given (the project pays nothing)."""
        if not self.currency.text().strip():
            return None
        bonus = self.bonus.text().strip() or None
        return {"currency": self.currency.text().strip(), "reward": self.reward.text().strip() or "0",
                "hourly": self.hourly.text().strip() or None, "estimate_seconds": self.estimate.value() or None,
                "floor": self.floor.text().strip() or None, "bonus": bonus,
                "bonus_min_gold": self.bonus_gold.value() if bonus else None, "period": self.period.currentText()}

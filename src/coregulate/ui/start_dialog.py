"""The start dialog: who (a pseudonymous client id), which straps, baseline on or off."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtWidgets

from coregulate.clients import ClientIdError, check_client_id, known_clients, new_client_id

STRAPS_UNAVAILABLE = (
    "Real straps are not available in this build yet (the acquisition issue adds scanning "
    "and pairing); use simulated straps."
)


@dataclass(frozen=True, slots=True)
class StartChoices:
    """What the clinician chose before the session."""

    client_id: str
    simulated: bool = True
    baseline: bool = True


class StartDialog(QtWidgets.QDialog):
    """Asks for the client's pseudonym, the straps and the baseline; `choices()` after OK."""

    def __init__(
        self, parent: QtWidgets.QWidget | None = None, straps_available: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("coregulate — start a session")
        form = QtWidgets.QFormLayout(self)
        self.client = QtWidgets.QComboBox()
        self.client.setEditable(True)
        self.client.addItems(known_clients())
        self.client.setToolTip("A pseudonym (letters, digits, - and _), never a name.")
        new = QtWidgets.QPushButton("New id")
        new.clicked.connect(lambda: self.client.setEditText(new_client_id()))
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.client, 1)
        row.addWidget(new)
        form.addRow("Client (pseudonymous id)", row)
        self.simulated = QtWidgets.QRadioButton("Simulated straps (demo)")
        self.straps = QtWidgets.QRadioButton("Chest straps (Bluetooth)")
        self.simulated.setChecked(True)
        self.straps.setEnabled(straps_available)
        if not straps_available:
            self.straps.setToolTip(STRAPS_UNAVAILABLE)
        box = QtWidgets.QVBoxLayout()
        box.addWidget(self.simulated)
        box.addWidget(self.straps)
        form.addRow("Straps", box)
        self.baseline = QtWidgets.QCheckBox("Take a 3-minute resting baseline at the start")
        self.baseline.setChecked(True)
        self.baseline.setToolTip(
            "States are shown relative to each person's own baseline; without one they are "
            "not available (unless a stored profile is used)."
        )
        form.addRow("Baseline", self.baseline)
        self.error = QtWidgets.QLabel("")
        form.addRow(self.error)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Start session")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        if not self.client.currentText():
            self.client.setEditText(new_client_id())

    def _accept(self) -> None:
        try:
            check_client_id(self.client.currentText().strip())
        except ClientIdError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def choices(self) -> StartChoices:
        """Return what was chosen (call after the dialog was accepted)."""
        return StartChoices(
            client_id=self.client.currentText().strip(),
            simulated=self.simulated.isChecked(),
            baseline=self.baseline.isChecked(),
        )

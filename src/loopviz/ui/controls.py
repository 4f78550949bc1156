"""The run controls: the Pitfall/Fixed switch and one spin box per ``Demo.params`` knob.

Given a demo, the widget rebuilds itself; ``values()`` returns ``{param name: value}`` in the
types ``main`` expects (int for integer knobs, float otherwise) and ``variant()`` the chosen
variant. Invariant: the controls shown always belong to the demo last given to ``set_demo``,
and every value lies within its Param's [minimum, maximum].
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QButtonGroup,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from loopviz.demos import Demo, Param

_VARIANT_LABELS = {"pitfall": "Pitfall", "fixed": "Fixed", "default": "Default"}


def is_integer_param(param: Param) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool)
               for v in (param.default, param.minimum, param.maximum, param.step))


def _decimals(step: float) -> int:
    text = f"{step:g}"
    return len(text.split(".")[1]) if "." in text else 0


class VariantSwitch(QWidget):
    """Segmented buttons, one per variant; hidden when the demo has a single variant."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._buttons: dict[str, QPushButton] = {}
        self._group.buttonClicked.connect(lambda b: self.changed.emit(b.property("variant")))

    def set_variants(self, variants: tuple[str, ...], current: str | None = None) -> None:
        for button in self._buttons.values():
            self._group.removeButton(button)
            button.deleteLater()
        self._buttons.clear()
        for name in variants:
            button = QPushButton(_VARIANT_LABELS.get(name, name.title()))
            button.setCheckable(True)
            button.setProperty("variant", name)
            button.setToolTip(f"Run the {name} variant")
            self._group.addButton(button)
            self._layout.addWidget(button)
            self._buttons[name] = button
        self.setVisible(len(variants) > 1)
        if variants:
            self.set_current(current if current in variants else variants[0])

    def button(self, variant: str) -> QPushButton:
        """The button of one of the variants set (KeyError for another)."""
        return self._buttons[variant]

    def set_current(self, variant: str) -> None:
        button = self._buttons.get(variant)
        if button is not None:
            button.setChecked(True)

    def current(self) -> str | None:
        button = self._group.checkedButton()
        return button.property("variant") if button is not None else None


class ParamControls(QWidget):
    """The variant switch and the demo's knobs, laid out for a toolbar."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.variant_switch = VariantSwitch()
        self._knobs = QWidget()
        self._knob_layout = QHBoxLayout(self._knobs)
        self._knob_layout.setContentsMargins(8, 0, 0, 0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.variant_switch)
        layout.addWidget(self._knobs)
        self.spins: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self._params: dict[str, Param] = {}
        self.demo: Demo | None = None
        self.variant_switch.changed.connect(lambda _v: self.changed.emit())

    def set_demo(self, demo: Demo | None, variant: str | None = None) -> None:
        self.demo = demo
        while self._knob_layout.count():
            item = self._knob_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.spins.clear()
        self._params.clear()
        self.variant_switch.set_variants(demo.variants if demo else (), variant)
        for param in demo.params if demo else ():
            spin = self._spin_for(param)
            self._knob_layout.addWidget(QLabel(param.label))
            self._knob_layout.addWidget(spin)
            self.spins[param.name] = spin
            self._params[param.name] = param
        self._knobs.setVisible(bool(self.spins))

    def _spin_for(self, param: Param) -> QSpinBox | QDoubleSpinBox:
        spin: QSpinBox | QDoubleSpinBox
        if is_integer_param(param):
            spin = QSpinBox()
            spin.setRange(int(param.minimum), int(param.maximum))
            spin.setSingleStep(int(param.step))
            spin.setValue(int(param.default))
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(max(1, _decimals(float(param.step))))
            spin.setRange(float(param.minimum), float(param.maximum))
            spin.setSingleStep(float(param.step))
            spin.setValue(float(param.default))
        if param.unit:
            spin.setSuffix(f" {param.unit}")
        spin.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
        spin.setToolTip(f"{param.label}: {param.minimum}–{param.maximum} {param.unit}".strip())
        spin.setAccessibleName(param.name)
        spin.valueChanged.connect(lambda _v: self.changed.emit())
        return spin

    def variant(self) -> str | None:
        return self.variant_switch.current()

    def values(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {}
        for name, spin in self.spins.items():
            value = spin.value()
            out[name] = int(value) if is_integer_param(self._params[name]) else float(value)
        return out

    def set_values(self, values: dict[str, object]) -> None:
        """Set knobs by name (a saved trace's params); unknown names and non-numbers are
        ignored, values outside a knob's range are clamped by the spin box."""
        for name, value in values.items():
            spin = self.spins.get(name)
            if spin is not None and isinstance(value, int | float) and \
                    not isinstance(value, bool):
                if isinstance(spin, QSpinBox):
                    spin.setValue(int(value))
                else:
                    spin.setValue(float(value))

    def non_default_values(self) -> dict[str, float | int]:
        """Only the knobs the user moved (what a command line would need to repeat the run)."""
        return {n: v for n, v in self.values().items() if v != self._params[n].default}

    def set_enabled_for_run(self, running: bool) -> None:
        """Knobs are fixed while a run is in flight (the run uses the values it started with)."""
        self.setEnabled(not running)

"""The UI heartbeat on a Qt loop: a precise QTimer on the UI thread beats the session's
Heartbeat, so a blocked UI thread shows as a long interval (and wakes the watchdog)."""

from __future__ import annotations

from typing import Any

from loopviz.instrument.plugin import RecordingView


class QtHeartbeat:
    def __init__(self, interval_ms: int = 10) -> None:
        self.interval_ms = interval_ms
        self._timer: Any = None

    def install(self, recording: RecordingView) -> None:
        from PySide6.QtCore import Qt, QTimer

        heartbeat = recording.heartbeat
        if heartbeat is None:
            return
        heartbeat.interval_s = self.interval_ms / 1000
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.interval_ms)
        self._timer.timeout.connect(heartbeat.beat)
        heartbeat.beat()
        self._timer.start()

    def uninstall(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer.deleteLater()
            self._timer = None

"""What the publisher does with an LSL strap's events: record them, then publish beats.

Each chunk is recorded as it came (``lsl.<role>``, JSON: the values and their LSL
and session times) before anything is derived from it, as raw strap bytes are; so
is each refusal (``{"kind", "error", "n"}``), so that a replay flags it again.
RR samples become `beat.<role>` messages directly (``"source": "lsl"``); ECG chunks
go through the publisher's `EcgBeatDetector` (NeuroKit2 R peaks), built for the
stream's rate, with the samples already on the session clock (offset 0). A refused
sample or stream is flagged like any bad strap input (``bad payload``, counted).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from coregulate.acquisition.lsl_source import KIND_LSL_ECG, KIND_LSL_REFUSED, KIND_LSL_RR
from coregulate.acquisition.source import SourceEvent

if TYPE_CHECKING:
    from coregulate.acquisition.publisher import StrapPublisher

LSL_KINDS = (KIND_LSL_RR, KIND_LSL_ECG, KIND_LSL_REFUSED)
TOPIC_LSL = "lsl"  # lsl.<role>: an LSL strap's chunks as received


class LslFeed:
    """Turns one role's LSL events into bus messages through its `StrapPublisher`."""

    def __init__(self, publisher: StrapPublisher) -> None:
        self._pub = publisher
        self._topic = f"{TOPIC_LSL}.{publisher.role}"

    def handle(self, event: SourceEvent) -> None:
        """Record and publish one LSL event (a chunk of RR or ECG, or a refusal)."""
        assert event.data is not None
        body: dict[str, Any] = json.loads(event.data)
        pub = self._pub
        pub._sender.send(self._topic, body, event.t_ns)  # recorded first, replayed from here
        if event.kind == KIND_LSL_REFUSED:  # `n` refused at once: counted, flagged once
            pub.bad_payloads[body["kind"]] += max(0, int(body.get("n", 1)) - 1)
            pub._flag(event.t_ns, body["kind"], body["error"])
            return
        pub.notifications += 1
        if event.kind == KIND_LSL_RR:
            self._rr(body)
        elif body.get("gap"):
            if pub._ecg_beats is not None:
                pub._ecg_beats.mark_gap()
        else:
            self._ecg(event.t_ns, body)

    def _rr(self, body: dict[str, Any]) -> None:
        pub = self._pub
        keep = pub._unpublished(body["beat_t_ns"])
        if not keep:
            return
        rr_ms = [body["rr_ms"][i] for i in keep]
        pub.beats += len(keep)
        pub._send_beats(
            {
                "t_ns": [body["beat_t_ns"][i] for i in keep],
                "rr_ms": rr_ms,
                "rr_ticks": None,
                "gap_before": bool(body["gap_before"]) or len(keep) < len(body["beat_t_ns"]),
                "hr_bpm": round(60000.0 * len(rr_ms) / sum(rr_ms)),
                "contact": None,
                "source": "lsl",
            }
        )

    def _ecg(self, t_ns: int, body: dict[str, Any]) -> None:
        from coregulate.acquisition.ecg_beats import EcgBeatDetector
        from coregulate.acquisition.pmd import EcgFrame

        pub = self._pub
        rate_hz = float(body["rate_hz"])
        if pub._ecg_beats is None or pub._ecg_beats.rate_hz != rate_hz:
            pub._ecg_beats = EcgBeatDetector(rate_hz=rate_hz)
        frame = EcgFrame(int(body["t_last_ns"]), tuple(body["uv"]))
        # The samples are on the session clock already: arrival = stamp, offset 0.
        for beats in pub._ecg_beats.add_frame(int(body["t_last_ns"]), frame):
            keep = pub._unpublished(beats["t_ns"])
            if not keep:
                continue
            pub.beats += len(keep)
            pub._send_beats(
                {
                    **beats,
                    "t_ns": [beats["t_ns"][i] for i in keep],
                    "rr_ms": [beats["rr_ms"][i] for i in keep],
                    "source": "lsl-ecg",
                }
            )

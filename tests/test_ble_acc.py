"""The emulated H10 serves ACC over PMD: started beside ECG, recorded raw, refusals reported."""

from __future__ import annotations

import asyncio

from coregulate.acquisition.pmd import START_ECG_130HZ
from coregulate.acquisition.pmd_acc import START_ACC_200HZ, decode_acc_frame, encode_acc_frame
from emulated_ble import EmulatedRadio, EmulatedStrap, wait_for
from test_ble_source import Session, hrm


def test_acc_is_started_after_ecg_recorded_raw_and_a_refusal_keeps_ecg() -> None:
    async def main() -> None:
        radio = EmulatedRadio()
        await radio.power_on()
        polar = EmulatedStrap(radio, "C1:00:00:00:00:15", "Polar H10 ACC", with_pmd=True)
        # An H10 that refuses ACC (bleakheart#12: some drop ECG+ACC together) keeps ECG.
        busy = EmulatedStrap(
            radio, "C1:00:00:00:00:16", "Polar H10 BUSY", with_pmd=True, acc_error=3
        )
        for strap in (polar, busy):
            await strap.start()
        frames = [encode_acc_frame(10**9 * (k + 1), [(k, -k, 1000 + k)] * 36) for k in range(5)]
        async with Session(
            radio, {"client": polar, "therapist": busy}, speed=20.0, ecg=True, acc=True
        ) as s:
            await wait_for(lambda: polar.acc_started.is_set())
            await polar.notify(hrm((800,)))
            for frame in frames:
                await polar.notify_ecg(frame)  # ECG and ACC share the PMD data characteristic
            await polar.notify_ecg(b"\x02\x00")  # a broken ACC frame: recorded and flagged
            await wait_for(lambda: len(s.rec.payloads("acc.client")) == len(frames) + 1)
            detail = lambda role, key: [p.get(key) for p in s.rec.payloads(f"status.{role}")]  # noqa: E731
            await wait_for(lambda: "refused: not supported" in detail("therapist", "acc"))
            await wait_for(lambda: "bad payload" in s.rec.statuses("client"))
        assert polar.pmd_commands == [START_ECG_130HZ, START_ACC_200HZ]
        assert "started" in detail("client", "acc") and "started" in detail("therapist", "ecg")
        raw = s.rec.payloads("acc.client")
        assert raw[: len(frames)] == frames  # exactly the bytes, nothing on ecg.client
        assert s.rec.payloads("ecg.client") == []
        assert decode_acc_frame(raw[2]).samples_mg[0] == (2, -2, 1002)

    asyncio.run(main())

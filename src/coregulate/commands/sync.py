"""`coregulate sync FILE`: recompute a session's synchrony from its file and check it.

The beats and metrics recorded in the file are replayed, in the order the hub
received them, through the same stage that ran live, with the parameters the live
stage wrote into its `sync` messages (or the defaults if it did not run). The
result is compared with the `sync` messages recorded live: they must be identical,
also after a stage or the hub was restarted (a stage takes what it missed from the
hub's replay of the file, in the file's order: docs/protocol.md, "Replay").
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import (
    add_command,
    add_file_argument,
    add_path_option,
    output_ok,
)
from coregulate.commands._progress import add_progress_option, reporting, stage, step
from coregulate.signal.people import SYNC_GROUP_TOPIC

ORDER = 30
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `sync` parser."""
    parser = add_command(
        sub,
        "sync",
        run,
        help="recompute a session's synchrony from its file and compare with the live one",
        description="Replay the beats and metrics of a session file through the synchrony "
        "stage, with the parameters recorded in the file, and compare with the sync messages "
        "recorded live. Prints each series' session summary; synchrony is information, "
        "not a score.",
    )
    add_file_argument(parser, "a coregulate session file")
    add_path_option(parser, "--json", "write every recomputed sync message here", metavar="OUT")
    add_progress_option(parser)


def _recorded_params(
    path: Path,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Return (HR params, slow params, live payloads per topic) of the file's sync stream.

    Topics: `sync` (two people), or each pair's `sync.<a>.<b>` and `sync.group`.
    """
    from coregulate.sessionfile.access import read_messages

    hr: dict[str, Any] = {}
    slow: dict[str, Any] = {}
    by_topic: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for msg in read_messages(path, ("sync",)):
        if msg.source != "sync" or not (msg.topic == "sync" or msg.topic.startswith("sync.")):
            continue  # files before issue 15: a restarted stage ("sync-1") covered only a part
        by_topic.setdefault(msg.topic, []).append((msg.seq, msg.json()))
    # In the stage's order: after a hub restart its resent messages lie in the file
    # after newer ones.
    live = {
        topic: [payload for _, payload in sorted(items, key=lambda item: item[0])]
        for topic, items in by_topic.items()
    }
    for topic, payloads in live.items():
        for payload in payloads if topic != SYNC_GROUP_TOPIC else ():
            target = hr if payload.get("series") == "hr_bpm" else slow
            target.setdefault("params", payload.get("params"))
    return hr.get("params") or {}, slow.get("params") or {}, live


def _people_keys(path: Path) -> tuple[str, ...]:
    """Return the session's people's keys (old files and two-person files: the dyad)."""
    from coregulate.sessionfile.access import read_session_payload
    from coregulate.signal.people import keys_of, people_from_session

    return keys_of(people_from_session(read_session_payload(path)))


def _compare(live: dict[str, list[Any]], replayed: dict[str, list[Any]]) -> str:
    """Return the line saying how many recomputed messages equal the live ones, per topic."""
    same = sum(
        sum(a == b for a, b in zip(live.get(t, []), replayed.get(t, []), strict=False))
        for t in set(live) | set(replayed)
    )
    n_live = sum(len(v) for v in live.values())
    n_replayed = sum(len(v) for v in replayed.values())
    verdict = "identical" if same == n_live == n_replayed else "DIFFERENT"
    if same == n_live < n_replayed and all(
        live[t] == replayed.get(t, [])[: len(live[t])] for t in live
    ):  # a session that ended early (a full disk): the stage's last messages never reached it
        verdict = (
            f"identical as far as the file goes; the last {n_replayed - n_live} were never recorded"
        )
    return (
        f"replay vs. live: {same} of {n_replayed} recomputed messages equal the "
        f"{n_live} recorded live ({verdict})"
    )


def _params(recorded: dict[str, Any], default: Any) -> Any:
    from coregulate.signal.synchrony import SyncParams

    if not recorded:
        return default
    values = dict(recorded)
    values["phase_band_hz"] = tuple(values["phase_band_hz"])
    return SyncParams(**values)


def _verdict(susy: dict[str, Any]) -> str:
    """Return the session verdict in words: above chance, not, or why there is none yet."""
    if susy.get("above_chance") is None:
        return f"(no verdict: {susy.get('above_chance_unavailable', 'not available')})"
    return "(above chance)" if susy["above_chance"] else "(not above chance)"


def _fmt(value: Any, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _describe_group(last: dict[str, Any]) -> str:
    """Return the line describing the group index over the session (its last message)."""
    summary, session = last.get("summary") or {}, last.get("session") or {}
    mean = summary.get("mean_value")
    verdict = {True: "above chance", False: "not above chance", None: "no verdict yet"}
    return (
        f"group ({last['index']}, {last['window_s']:g} s windows, {', '.join(last['people'])}): "
        f"mean {_fmt(mean, '.3f')} over {summary.get('n_available')} windows; "
        f"session p {_fmt(session.get('p_above_chance'), '.3f')} from "
        f"{session.get('n_surrogates', 0)} shifts ({verdict[session.get('above_chance')]})"
    )


def _describe(final: dict[str, Any]) -> list[str]:
    """Return the lines describing one series' final message (of a pair: named)."""
    pair = final.get("pair")
    a, b = pair or ("client", "therapist")  # a pair's b takes the therapist's place
    lines = [f"{final['series']}:" if not pair else f"{final['series']} {a}-{b}:"]
    summary = final.get("summary")
    why = final.get("unavailable", {})
    if summary:
        lines.append(
            f"  windows {summary['n_available']}/{summary['n_windows']} available; "
            f"mean peak z {summary['mean_peak_z']:+.3f}; lag "
            f"{summary['profile_lag_s']:+.2f} s (positive = {b} leads; median of "
            f"window peaks {summary['median_peak_lag_s']:+.2f} s); "
            f"{b} leads {summary['share_therapist_leads']:.0%}, {a} leads "
            f"{summary['share_client_leads']:.0%}, simultaneous "
            f"{summary['share_simultaneous']:.0%}"
        )
    else:
        lines.append(f"  windowed cross-correlation not available: {why.get('summary')}")
    susy = final.get("susy")
    if susy:
        lines.append(
            f"  SUSY: ES {_fmt(susy['z']['es'], '+.3f')} (|Z|: "
            f"{_fmt(susy['z_abs']['es'], '+.3f')}) over {susy['n_segments']} segments, "
            f"{susy['n_pseudo_pairs']} pseudo pairs; p {susy['p_above_chance']:.3f} from "
            f"{susy['n_surrogates']} circular shifts " + _verdict(susy)
        )
    else:
        lines.append(f"  SUSY not available: {why.get('susy')}")
    conc = final.get("concordance") or {}
    ci = conc.get("ci")
    lines.append(
        f"  concordance index {ci:+.3f} over {conc['n_r']} segments"
        if ci is not None
        else f"  concordance index not available: {why.get('concordance')}"
    )
    phase = final.get("phase")
    lines.append(
        f"  phase synchrony (offline): mean index {phase['mean_index']:.3f}, PLV {phase['plv']:.3f}"
        if phase
        else f"  phase synchrony not available: {why.get('phase')}"
    )
    return lines


def _replay(path: Path) -> tuple[list[Any], dict[str, list[Any]], bool]:
    """Return (the stage's outputs, the live payloads per topic, whether metrics were made).

    Raises SessionFileError for an unreadable file, TypeError or ValueError for
    recorded parameters the stage cannot take.
    """
    from coregulate.recordings.stage_replay import has_live_metrics, stage_inputs
    from coregulate.signal.synchrony import HR_PARAMS, SLOW_PARAMS
    from coregulate.stages.sync_stage import SyncStage

    hr_recorded, slow_recorded, live = _recorded_params(path)
    people = _people_keys(path)
    sync = SyncStage(
        _params(hr_recorded, HR_PARAMS), _params(slow_recorded, SLOW_PARAMS), people=people
    )
    outputs = []
    stage(f"recomputing synchrony of {path.name}")
    # An import or a simulation: no stage ran, so the metrics come from its beats too.
    # A file with live sync messages is replayed as the stage took it.
    derived = not live and not has_live_metrics(path)
    for i, msg in enumerate(stage_inputs(path, sync.topics, people, derived), start=1):
        outputs += sync.update(msg)
        if i % 1000 == 0:
            step("recomputing synchrony, messages read", i)
    return outputs + sync.terminate(), live, derived


def run(args: argparse.Namespace) -> int:
    """Run `coregulate sync`; return the exit code."""
    from coregulate.sessionfile.access import SessionFileError

    if not output_ok(args.json):
        return ex.CANNOT_CREATE
    try:
        with reporting(args):
            outputs, live, derived = _replay(args.file)
    except SessionFileError as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    except (TypeError, ValueError) as exc:
        log.error("%s: the recorded sync parameters are not usable (%s)", args.file, exc)
        return ex.BAD_INPUT
    replayed = [o.payload for o in outputs]
    if not replayed:
        log.error("%s has no beats to compute synchrony from", args.file)
        return ex.FAILED
    by_topic: dict[str, list[Any]] = {}
    for o in outputs:
        by_topic.setdefault(o.topic, []).append(o.payload)
    # Each pair's (or the dyad's) final statistics; the group's final is described below.
    finals = [o.payload for o in outputs if o.payload["final"] and o.topic != SYNC_GROUP_TOPIC]
    for final in finals:
        print("\n".join(_describe(final)))  # noqa: T201 - the command's own output
    if SYNC_GROUP_TOPIC in by_topic:
        print(_describe_group(by_topic[SYNC_GROUP_TOPIC][-1]))  # noqa: T201
    if live:
        print(_compare(live, by_topic))  # noqa: T201
    else:
        how = " (and the metrics: the file holds none)" if derived else ""
        print(f"no live sync messages in the file: computed from the beats only{how}")  # noqa: T201
    if args.json:
        from coregulate.security.files import write_private_file

        try:  # health data: owner-only, like the session file; atomic
            write_private_file(args.json, json.dumps(replayed) + "\n")
        except OSError as exc:
            log.error("cannot write %s: %s", args.json, exc.strerror or exc)
            return ex.WRITE_FAILED
        print(f"wrote {args.json}")  # noqa: T201
    return ex.OK

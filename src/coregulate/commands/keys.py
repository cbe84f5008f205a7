"""`coregulate keys`: CurveZMQ key pairs and the allow-list of remote viewers.

The therapist's machine has the hub's key pair (``keys create hub``); each viewer's
machine has its own (``keys create viewer``), prints its public key with
``keys show viewer``, and the therapist lets it in with ``keys allow LABEL KEY``
after both compared the fingerprint. Secret keys never leave the machine they were
made on. Everything lives in an owner-only folder (docs/security.md).
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, add_path_option

if TYPE_CHECKING:  # imported lazily at run time, so `coregulate --help` stays fast
    from coregulate.security.keys import KeyPair, KeyStore

ORDER = 40
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `keys` parser and its actions."""
    keys = add_command(
        sub,
        "keys",
        run,
        help="key pairs and allowed viewers for encrypted remote viewing",
        description="Create and list CurveZMQ key pairs, print a public key and its "
        "fingerprint, and manage which viewers may watch a session from another machine. "
        "Names are roles or machines (hub, viewer, supervisor-1), never people's names.",
    )
    add_path_option(
        keys,
        "--dir",
        "keys folder (default: your per-user config folder)",
        metavar="FOLDER",
    )
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key pair (e.g. 'hub' or 'viewer')")
    create.add_argument("name")
    show = actions.add_parser("show", help="print a key pair's public key and fingerprint")
    show.add_argument("name")
    actions.add_parser("list", help="list key pairs and allowed viewers")
    allow = actions.add_parser(
        "allow", help="let a viewer in: LABEL and its public key (in single quotes)"
    )
    allow.add_argument("label")
    # REMAINDER: a Z85 key may start with "-", which argparse would take for an option.
    allow.add_argument("public_key", nargs=argparse.REMAINDER)
    revoke = actions.add_parser("revoke", help="remove a viewer from the allow-list")
    revoke.add_argument("label")


def run(args: argparse.Namespace) -> int:
    """Run `coregulate keys ACTION`; return the exit code."""
    from coregulate.security.files import PermissionsError
    from coregulate.security.keys import KeyStore, KeyStoreError

    store = KeyStore(args.dir)
    try:
        return _ACTIONS[args.action](store, args)
    except (KeyStoreError, PermissionsError) as exc:
        log.error("%s", exc)
        return ex.USAGE
    except OSError as exc:
        log.error("could not use the keys folder %s (%s)", store.root, exc.strerror or exc)
        return ex.USAGE


def _create(store: KeyStore, args: argparse.Namespace) -> int:
    pair = store.create(args.name)
    print(f"created key pair {pair.name!r} in {store.root} (owner-only)")  # noqa: T201
    _print_public(pair)
    return ex.OK


def _show(store: KeyStore, args: argparse.Namespace) -> int:
    pair = store.load(args.name)
    _print_public(pair)
    # Z85 keys contain shell characters (&, <, !); single quotes keep them intact.
    print(  # noqa: T201
        f"a viewer's key: the therapist lets it in with\n"
        f"  coregulate keys allow LABEL '{pair.public_key}'\n"
        f"the hub's key: viewers connect with\n"
        f"  coregulate watch tcp://ADDRESS:PORT --hub-key='{pair.public_key}'"
    )
    return ex.OK


def _list(store: KeyStore, args: argparse.Namespace) -> int:
    pairs, allowed = store.pairs(), store.allowed()
    print(f"keys folder: {store.root}")  # noqa: T201
    print("key pairs:" if pairs else "key pairs: none (create one with `keys create hub`)")  # noqa: T201
    for pair in pairs:
        print(f"  {pair.name:<20} fingerprint {pair.fingerprint}")  # noqa: T201
    print("allowed viewers:" if allowed else "allowed viewers: none")  # noqa: T201
    for viewer in allowed:
        print(f"  {viewer.name:<20} fingerprint {viewer.fingerprint}")  # noqa: T201
    return ex.OK


def _allow(store: KeyStore, args: argparse.Namespace) -> int:
    viewer = store.allow(args.label, " ".join(args.public_key))
    print(f"allowed viewer {viewer.name!r}")  # noqa: T201
    print(f"fingerprint: {viewer.fingerprint}")  # noqa: T201
    print(  # noqa: T201
        "Compare this fingerprint with the one the viewer's machine prints "
        "(`coregulate keys show NAME`) by phone or in person, not through the channel "
        "that carried the key. It applies from the next session start."
    )
    return ex.OK


def _revoke(store: KeyStore, args: argparse.Namespace) -> int:
    if not store.revoke(args.label):
        log.error("no allowed viewer named %r (see `coregulate keys list`)", args.label)
        return ex.USAGE
    print(f"removed viewer {args.label!r}; it is refused from the next session start")  # noqa: T201
    return ex.OK


def _print_public(pair: KeyPair) -> None:
    print(f"public key:  {pair.public_key}")  # noqa: T201
    print(f"fingerprint: {pair.fingerprint}")  # noqa: T201


_ACTIONS = {"create": _create, "show": _show, "list": _list, "allow": _allow, "revoke": _revoke}

"""Who may reach a session's stream: the bind policy and the CURVE viewer gate.

The rules (docs/security.md):

- The hub's **input** is always on this machine (loopback or ipc). Whoever can send
  to it writes into the health record, so it is never exposed, with or without keys.
- The hub's plaintext **output** is always on this machine too.
- Viewers on other machines connect to a separate **viewer output**: a PUB socket
  with CurveZMQ encryption whose ZAP handler lets in only public keys on the
  therapist's allow-list. A refused key is logged with its fingerprint.

`check_bind_policy` runs before the hub binds anything, so a wrong configuration
never exposes a socket, not even for a moment.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import zmq
from zmq.auth.thread import ThreadAuthenticator

from coregulate.bus.endpoints import EndpointError, is_loopback
from coregulate.security.keys import KeyStore, KeyStoreError, fingerprint, parse_public_key

log = logging.getLogger(__name__)

ZAP_DOMAIN = "coregulate-viewers"
# A viewer only ever sends subscriptions (a topic prefix of at most 64 bytes);
# anything larger is hostile and ZeroMQ drops the connection before buffering it.
VIEWER_MAX_INBOUND_BYTES = 1024
_MAX_TRACKED_DENIED_KEYS = 1000

REMOTE_VIEWING_STEPS = (
    "To let a viewer on another machine watch: "
    "(1) on this machine, once: `coregulate keys create hub`; "
    "(2) on the viewer's machine: `coregulate keys create viewer` and `coregulate keys "
    "show viewer`, and send the printed public key to the therapist; "
    "(3) on this machine: `coregulate keys allow LABEL PUBLIC_KEY`, comparing the "
    "fingerprint it prints with the viewer's; "
    "(4) start the session with `--viewers tcp://ADDRESS:PORT` (docs/security.md)"
)


class BindRefused(Exception):
    """The hub would expose a socket unsafely; the text says exactly what to do."""


@dataclass(frozen=True, slots=True)
class ViewerAccess:
    """A CURVE-protected viewer output: where it binds, the hub's keys, who may connect.

    Parameters
    ----------
    endpoint
        Where viewers connect, e.g. ``"tcp://192.0.2.10:5603"``.
    server_public_key, server_secret_key
        The hub's CURVE key pair (Z85). Viewers need the public key.
    allowed
        ``(label, public key)`` of each viewer let in (Z85 keys).
    """

    endpoint: str
    server_public_key: str
    server_secret_key: str = field(repr=False)
    allowed: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_keystore(
        cls, endpoint: str, store: KeyStore | None = None, hub_key: str = "hub"
    ) -> ViewerAccess:
        """Return the access for `endpoint` from this user's keys; BindRefused if unusable."""
        store = store or KeyStore()
        try:
            pair = store.load(hub_key)
            allowed = tuple((v.name, v.public_key) for v in store.allowed())
        except KeyStoreError as exc:
            raise BindRefused(
                f"cannot open viewers on {endpoint}: {exc}. {REMOTE_VIEWING_STEPS}"
            ) from exc
        assert pair.secret_key is not None  # load() returns the secret half
        return cls(endpoint, pair.public_key, pair.secret_key, allowed)


def check_bind_policy(
    input_endpoint: str, output_endpoint: str, viewers: ViewerAccess | None = None
) -> None:
    """Return if the hub may bind these endpoints; raise BindRefused saying what to do."""
    try:
        if not is_loopback(input_endpoint):
            raise BindRefused(
                f"refusing to bind the hub's input on {input_endpoint}: whoever can send "
                "to it writes into the session record, so it stays on this machine. Use "
                "tcp://127.0.0.1:PORT (producers always run on the recording machine)"
            )
        if not is_loopback(output_endpoint):
            raise BindRefused(
                f"refusing to publish the session unencrypted on {output_endpoint}, "
                "which other machines could reach. Keep the output on 127.0.0.1. "
                + REMOTE_VIEWING_STEPS
            )
        if viewers is None:
            return
        is_loopback(viewers.endpoint)  # parses it: a typo fails here, not in ZeroMQ
        if viewers.endpoint in (input_endpoint, output_endpoint):
            raise BindRefused(
                f"the viewers' endpoint {viewers.endpoint} is already the hub's input or "
                "output; give viewers a port of their own"
            )
    except EndpointError as exc:
        raise BindRefused(str(exc)) from exc
    for label, key in (
        ("the hub's public key", viewers.server_public_key),
        ("the hub's secret key", viewers.server_secret_key),
    ):
        try:
            parse_public_key(key)  # a secret key has the same 40-character shape
        except KeyStoreError as exc:
            raise BindRefused(f"{label} is unusable ({exc}). {REMOTE_VIEWING_STEPS}") from exc
    if not viewers.allowed:
        raise BindRefused(
            f"refusing to open viewers on {viewers.endpoint}: no viewer is on the "
            "allow-list, so nobody could connect. Add one with `coregulate keys allow "
            "LABEL PUBLIC_KEY`. " + REMOTE_VIEWING_STEPS
        )
    for label, key in viewers.allowed:
        try:
            parse_public_key(key)
        except KeyStoreError as exc:
            raise BindRefused(f"allowed viewer {label!r}: {exc}") from exc


class ViewerGate(ThreadAuthenticator):
    """ZAP handler that admits only allow-listed CURVE keys and logs every refusal.

    Runs in its own thread (pyzmq's ThreadAuthenticator) on the context of the
    viewer socket. `admitted` and `refused` count handshakes.
    """

    def __init__(self, context: zmq.Context, allowed: tuple[tuple[str, str], ...]) -> None:
        super().__init__(context, log=logging.getLogger("zmq.auth"))
        self._labels = {key.encode("ascii"): label for label, key in allowed}
        self._lock = threading.Lock()
        self.admitted = 0
        self.refused = 0
        self._refused_by_key: Counter[str] = Counter()

    def start(self) -> None:
        """Start the ZAP thread and register the allow-list for the viewers' domain."""
        super().start()
        self.configure_curve_callback(domain=ZAP_DOMAIN, credentials_provider=self)

    def callback(self, domain: str, key: bytes) -> bool:
        """Return True if the Z85 client `key` is allowed (called by ZAP per handshake)."""
        label = self._labels.get(bytes(key))
        fp = fingerprint(key)
        if label is not None:
            with self._lock:
                self.admitted += 1
            log.info("viewer %r connected (key fingerprint %s)", label, fp)
            return True
        with self._lock:
            self.refused += 1
            tracked = fp in self._refused_by_key
            if tracked or len(self._refused_by_key) < _MAX_TRACKED_DENIED_KEYS:
                self._refused_by_key[fp] += 1
                n = self._refused_by_key[fp]
            else:  # a flood of fresh keys: stop remembering them, log rarely
                n = self.refused
        # A refused client retries every few hundred ms: log its first try, then rarely.
        if n == 1 or n % 100 == 0:
            log.warning(
                "refused a viewer with an unknown key (fingerprint %s, try %d); if this "
                "is a colleague, compare the fingerprint with theirs and run "
                "`coregulate keys allow LABEL PUBLIC_KEY`",
                fp,
                n,
            )
        return False


class ViewerOutput:
    """The hub's CURVE-encrypted PUB socket for allow-listed remote viewers.

    It has its own ZeroMQ context, so its ZAP handler never sees the hub's local
    sockets, and two hubs in one process (tests) do not share a handler.
    """

    def __init__(self, access: ViewerAccess, sndhwm: int = 10_000) -> None:
        self.access = access
        self._ctx = zmq.Context()
        self.gate = ViewerGate(self._ctx, access.allowed)
        self.gate.start()
        sock = self._ctx.socket(zmq.PUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SNDHWM, sndhwm)
        sock.setsockopt(zmq.MAXMSGSIZE, VIEWER_MAX_INBOUND_BYTES)
        sock.curve_server = True
        sock.curve_publickey = access.server_public_key.encode("ascii")
        sock.curve_secretkey = access.server_secret_key.encode("ascii")
        sock.zap_domain = ZAP_DOMAIN.encode("ascii")
        try:
            sock.bind(access.endpoint)
        except zmq.ZMQError as exc:
            sock.close(linger=0)
            self.gate.stop()
            self._ctx.term()
            raise BindRefused(
                f"cannot open viewers on {access.endpoint} ({exc.strerror}): choose a free "
                "port, and an address of this machine's network interfaces"
            ) from exc
        self._sock = sock
        log.info(
            "viewers may connect on %s (hub key fingerprint %s, %d allowed)",
            access.endpoint,
            fingerprint(access.server_public_key),
            len(access.allowed),
        )

    def send(self, frames: list[Any]) -> None:
        """Publish one message to the connected viewers (never blocks)."""
        self._sock.send_multipart(frames, copy=False)

    def close(self) -> None:
        """Close the socket, stop the ZAP thread and end the context."""
        self._sock.close(linger=0)
        self.gate.stop()
        self._ctx.term()

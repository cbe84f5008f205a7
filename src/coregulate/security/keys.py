"""CurveZMQ key pairs and the allow-list of remote viewers, in the per-user config.

Layout under the keys folder (default: platformdirs' user config dir + ``keys``),
every folder 0700 and every file 0600:

``<name>.key``                    public certificate of one of this user's key pairs
``<name>.key_secret``             its secret certificate
``allowed_viewers/<label>.key``   a viewer the therapist has let in

The files are ZeroMQ certificates (the ZPL text format czmq and pyzmq read), so
other ZeroMQ tools can use them. Names and labels are pseudonymous: a machine or a
role (``hub``, ``viewer``, ``supervisor-1``), never a person's name.

A **fingerprint** is what two people compare (read aloud, on paper) to check that a
key was not swapped on its way: the first 16 bytes of SHA-256 of the 32-byte key,
in hex groups.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import zmq
from zmq.auth import load_certificate
from zmq.utils import z85

from coregulate.security.files import (
    PermissionsError,
    check_owner_only,
    private_dir,
    write_private_file,
)

ALLOWED_DIR = "allowed_viewers"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_Z85_KEY_LEN = 40  # 32 bytes in Z85


class KeyStoreError(Exception):
    """A key or key name that cannot be used; the text says what to do."""


def default_keys_dir() -> Path:
    """Return the per-user folder for keys (created on first use, owner-only)."""
    from platformdirs import user_config_path

    return user_config_path("coregulate", appauthor=False) / "keys"


def check_name(name: str) -> str:
    """Return `name` if it is a valid key name or viewer label, else raise KeyStoreError."""
    if not _NAME_RE.match(name):
        raise KeyStoreError(
            f"{name!r} is not a usable name: use 1–32 lower-case letters, digits, '-' "
            "or '_' (a role or machine such as 'hub' or 'supervisor-1', never a "
            "person's name: it is written into file names)"
        )
    return name


def parse_public_key(text: str | bytes) -> str:
    """Return the Z85 public key in `text`, checked; raise KeyStoreError if it is not one."""
    key = text.decode("ascii", "replace") if isinstance(text, bytes) else text
    key = key.strip().strip("'\"")
    try:
        raw = z85.decode(key.encode("ascii")) if len(key) == _Z85_KEY_LEN else b""
    except (ValueError, KeyError, struct.error):  # not ASCII, not Z85, overflows
        raw = b""
    if len(key) != _Z85_KEY_LEN or len(raw) != 32:
        raise KeyStoreError(
            f"that is not a public key ({len(key)} characters): a coregulate/ZeroMQ "
            f"public key is {_Z85_KEY_LEN} Z85 characters, as printed by "
            "`coregulate keys show NAME` on the viewer's machine"
        )
    return key


def fingerprint(public_key: str | bytes) -> str:
    """Return the fingerprint of a Z85 public key: 8 groups of 4 hex digits."""
    key = public_key.encode("ascii") if isinstance(public_key, str) else public_key
    digest = hashlib.sha256(z85.decode(key)).hexdigest()[:32]
    return ":".join(digest[i : i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True, slots=True)
class KeyPair:
    """One CURVE key pair; `secret_key` is None when only the public half is known."""

    name: str
    public_key: str
    secret_key: str | None = None

    @property
    def fingerprint(self) -> str:
        """Return the fingerprint of the public key."""
        return fingerprint(self.public_key)


def _certificate(kind: str, public_key: str, secret_key: str | None = None) -> str:
    lines = [
        f"#   ZeroMQ CURVE {kind} certificate, written by coregulate",
        f"#   created {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M:%S} UTC",
    ]
    if secret_key is not None:
        lines.append("#   SECRET: never copy this file to another machine or person.")
    lines += ["", "metadata", "curve", f'    public-key = "{public_key}"']
    if secret_key is not None:
        lines.append(f'    secret-key = "{secret_key}"')
    return "\n".join(lines) + "\n"


class KeyStore:
    """This user's key pairs and viewer allow-list in one owner-only folder.

    Parameters
    ----------
    root
        The keys folder; `default_keys_dir()` if None. Created 0700 on first write.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_keys_dir()

    @property
    def allowed_dir(self) -> Path:
        """Return the folder of allowed viewers' public certificates."""
        return self.root / ALLOWED_DIR

    # -- own key pairs -------------------------------------------------------------

    def create(self, name: str) -> KeyPair:
        """Return a new key pair saved under `name`; refuse to replace an existing one."""
        check_name(name)
        private_dir(self.root)
        public_path, secret_path = self._paths(name)
        if public_path.exists() or secret_path.exists():
            raise KeyStoreError(
                f"a key pair named {name!r} exists already ({secret_path}); choose another "
                "name, or delete both files first if you really mean to replace it "
                "(viewers that trusted the old key will have to be told the new one)"
            )
        public, secret = (k.decode("ascii") for k in zmq.curve_keypair())
        write_private_file(secret_path, _certificate("Secret", public, secret))
        write_private_file(public_path, _certificate("Public", public))
        return KeyPair(name, public, secret)

    def load(self, name: str) -> KeyPair:
        """Return the key pair `name` with its secret key; raise KeyStoreError if unusable."""
        check_name(name)
        _, secret_path = self._paths(name)
        if not secret_path.exists():
            raise KeyStoreError(
                f"no key pair named {name!r} in {self.root}; create it with "
                f"`coregulate keys create {name}`"
            )
        try:
            # Like ssh: a secret others could have read is no longer a secret.
            check_owner_only(self.root)
            check_owner_only(secret_path)
        except PermissionsError as exc:
            raise KeyStoreError(str(exc)) from exc
        public, secret = load_certificate(secret_path)
        if secret is None:
            raise KeyStoreError(f"{secret_path} holds no secret key; create a new pair")
        return KeyPair(name, parse_public_key(public), secret.decode("ascii"))

    def pairs(self) -> list[KeyPair]:
        """Return this user's key pairs (public halves only), sorted by name."""
        return _public_keys_in(self.root)

    def _paths(self, name: str) -> tuple[Path, Path]:
        return self.root / f"{name}.key", self.root / f"{name}.key_secret"

    # -- the allow-list ------------------------------------------------------------

    def allow(self, label: str, public_key: str) -> KeyPair:
        """Return the viewer added to the allow-list under `label`."""
        check_name(label)
        key = parse_public_key(public_key)
        for other in self.allowed():
            if other.public_key == key and other.name != label:
                raise KeyStoreError(f"that key is already allowed as {other.name!r}")
        private_dir(self.allowed_dir)
        write_private_file(self.allowed_dir / f"{label}.key", _certificate("Public", key))
        return KeyPair(label, key)

    def revoke(self, label: str) -> bool:
        """Return True if `label` was on the allow-list and is now removed."""
        path = self.allowed_dir / f"{check_name(label)}.key"
        if not path.exists():
            return False
        path.unlink()
        return True

    def allowed(self) -> list[KeyPair]:
        """Return the allowed viewers (label and public key), sorted by label."""
        return _public_keys_in(self.allowed_dir)


def _public_keys_in(directory: Path) -> list[KeyPair]:
    """Return the public keys of the ``*.key`` files in `directory`, named by file, sorted."""
    if not directory.is_dir():
        return []
    out = []
    for path in sorted(directory.glob("*.key")):
        public, _ = load_certificate(path)
        out.append(KeyPair(path.stem, parse_public_key(public)))
    return out

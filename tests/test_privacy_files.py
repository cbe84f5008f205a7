"""Files at rest: owner-only permissions, no names in paths or logs."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from zmq.utils import z85

from coregulate.bus.producer import BusProducer
from coregulate.cli import main
from coregulate.security.files import PermissionsError, check_owner_only, private_dir
from coregulate.security.keys import (
    KeyStore,
    KeyStoreError,
    check_name,
    fingerprint,
    parse_public_key,
)
from coregulate.sessionfile.access import read_messages, read_meta


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: our modes must hold without its help."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_session_file_and_its_wal_and_shm_are_owner_only(hub_thread, open_umask) -> None:
    hub_thread.path = hub_thread.path.parent / "new" / "deeper" / "s.sqlite"
    hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, "acq")
    producer.send("beat.client", {"i": 1}, 1)
    assert producer.flush(timeout_s=10)
    path = hub_thread.path
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    assert wal.exists() and shm.exists()  # while the hub runs, WAL mode keeps both
    assert [_mode(p) for p in (path, wal, shm)] == [0o600, 0o600, 0o600]
    assert _mode(path.parent) == _mode(path.parent.parent) == 0o700
    hub_thread.stop()
    assert _mode(path) == 0o600
    producer.close()


def test_keys_are_owner_only(tmp_path: Path, open_umask) -> None:
    store = KeyStore(tmp_path / "config" / "keys")
    pair = store.create("hub")
    store.allow("supervisor-1", store.create("viewer").public_key)
    assert _mode(store.root) == 0o700
    assert _mode(store.allowed_dir) == 0o700
    files = list(store.root.rglob("*"))
    assert {p.name for p in files if p.is_file()} == {
        "hub.key",
        "hub.key_secret",
        "viewer.key",
        "viewer.key_secret",
        "supervisor-1.key",
    }
    assert all(_mode(p) == 0o600 for p in files if p.is_file())
    assert pair.secret_key not in (store.root / "hub.key").read_text()  # public half only
    assert store.load("hub") == pair


def test_a_secret_others_could_read_is_refused(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    store.create("hub")
    secret = store.root / "hub.key_secret"
    secret.chmod(0o644)
    with pytest.raises(KeyStoreError, match=r"chmod 600"):
        store.load("hub")
    secret.chmod(0o600)
    store.root.chmod(0o755)
    with pytest.raises(KeyStoreError, match=r"chmod 700"):
        store.load("hub")


def test_a_loosened_private_folder_is_tightened(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    with caplog.at_level(logging.WARNING):
        private_dir(folder)
    assert _mode(folder) == 0o700
    assert "made it owner-only" in caplog.text
    (tmp_path / "file").write_text("")
    with pytest.raises(PermissionsError, match="not a folder"):
        private_dir(tmp_path / "file")
    check_owner_only(folder)


def test_z85_and_fingerprint_reference_vectors() -> None:
    # ZeroMQ RFC 32/Z85: bytes 86 4F D2 6F B5 59 F7 5B encode as "HelloWorld".
    assert z85.decode(b"HelloWorld") == bytes.fromhex("864FD26FB559F75B")
    key = z85.encode(bytes(range(32))).decode()
    # SHA-256 of the 32 bytes 00..1f (hashlib, FIPS 180-4): 630dcd29 66c43366 ...
    digest = hashlib.sha256(bytes(range(32))).hexdigest()
    assert digest.startswith("630dcd2966c4336691125448bbb25b4f")
    assert fingerprint(key) == "630d:cd29:66c4:3366:9112:5448:bbb2:5b4f"
    assert parse_public_key(f"  '{key}'\n") == key


@pytest.mark.parametrize(
    "text", ["", "abc", "HelloWorld" * 4 + "H", "é" * 40, "#" * 40, "a b" * 13 + "c"]
)
def test_a_wrong_public_key_says_what_a_key_looks_like(text: str) -> None:
    with pytest.raises(KeyStoreError, match="40 Z85 characters"):
        parse_public_key(text)


@pytest.mark.parametrize("name", ["Anna Smith", "anna.smith", "", "x" * 33, "../hub", "Hub"])
def test_names_are_pseudonymous_labels(name: str) -> None:
    with pytest.raises(KeyStoreError, match="never a person's name"):
        check_name(name)


def test_keys_command_end_to_end(tmp_path: Path, capsys) -> None:
    keys = ["keys", "--dir", str(tmp_path / "k")]
    assert main([*keys, "create", "hub"]) == 0
    assert main([*keys, "create", "viewer"]) == 0
    capsys.readouterr()
    assert main([*keys, "show", "viewer"]) == 0
    shown = capsys.readouterr().out
    key = re.search(r"public key:\s+(\S+)", shown).group(1)
    fp = re.search(r"fingerprint:\s+(\S+)", shown).group(1)
    assert f"coregulate keys allow LABEL '{key}'" in shown
    assert main([*keys, "allow", "supervisor-1", key]) == 0
    assert fp in capsys.readouterr().out  # the therapist compares this with the viewer
    assert main([*keys, "list"]) == 0
    listing = capsys.readouterr().out
    assert re.search(rf"supervisor-1\s+fingerprint {fp}", listing)
    # A Z85 key may begin with "-": it must not be taken for an option.
    # (Another key than the viewer's: 1 in 85 random keys already begins with "-".)
    dash_key = "-" + key[1:] if key[0] != "-" else "-" + ("A" if key[1] != "A" else "B") + key[2:]
    assert main([*keys, "allow", "dash", dash_key]) == 0
    assert [v.public_key for v in KeyStore(tmp_path / "k").allowed()] == [dash_key, key]
    assert main([*keys, "revoke", "supervisor-1"]) == 0
    assert main([*keys, "revoke", "supervisor-1"]) == 2
    assert main([*keys, "create", "hub"]) == 2  # never replaces a key pair
    assert main([*keys, "allow", "x", "not-a-key"]) == 2
    assert main([*keys, "show", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_no_ids_or_names_in_paths_or_logs(tmp_path: Path, monkeypatch, capfd, caplog) -> None:
    """Pseudonymous ids live inside the session file only: never in its path or a log."""
    from coregulate.commands._common import default_session_path
    from coregulate.session import DemoOptions, run_headless

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    client, therapist = "sentinel-client-q7x", "sentinel-therapist-z9k"
    out = default_session_path("demo")
    options = DemoOptions(
        out=out,
        duration_s=60.0,
        speed=30.0,
        seed=2,
        log_level=logging.DEBUG,  # the most a user could turn on
        client_id=client,
        therapist_id=therapist,
    )

    class _Never:
        requested = False

    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    run_headless(options, _Never())  # type: ignore[arg-type]
    assert time.monotonic() - started < 60
    logs = capfd.readouterr().err + caplog.text  # children log to the inherited stderr
    assert "hub closed" in logs  # the children's DEBUG/INFO logs were captured
    assert re.fullmatch(r"demo-\d{8}-\d{6}\.sqlite", out.name)
    assert out.parent == tmp_path / "data" / "coregulate" / "sessions"
    for folder in (out.parent, out.parent.parent):
        assert _mode(folder) == 0o700
    assert _mode(out) == 0o600
    for secret in (client, therapist):
        assert secret not in str(out)
        assert secret not in logs
    # The ids did go where they belong, so the check above is not vacuous.
    assert read_meta(out)["client_id"] == client
    session = next(read_messages(out, ("session",)))
    assert session.json()["therapist_id"] == therapist

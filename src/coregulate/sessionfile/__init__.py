"""The read side of a session file, below acquisition/ and recordings/.

A session file is written by the hub alone (`recordings.store`); everything that
reads one comes here: `open_readonly` and the raw messages (`access`), the file's
SQL views (`schema`), the typed `SessionRecord` of `read_session` (`record`), the
one `Marker` class with withdrawals resolved once (`markers`), a person's beats
(`beats`) and the catalogue of a folder's sessions (`catalog`). May import only
signal, bus, clock and security.

Import from the submodules (`coregulate.sessionfile.record`, ...): this package
imports nothing itself, so `coregulate sessions` does not load NumPy for a listing.
"""

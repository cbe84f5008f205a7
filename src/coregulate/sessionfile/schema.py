"""The session file's analysis tables: SQL views over the raw ``messages`` log.

Why views rather than tables the hub fills (docs/file-format.md has the long form):
the raw log is the record; a view is computed from it, so it can never disagree
with it, costs the single writer nothing per message (the store's throughput and
its crash guarantees stay those of one INSERT), and a better definition ships as a
new view in a migration without rewriting anyone's data. Any SQLite client (R,
DB Browser, pandas) reads them like tables.

JSON payloads are stored as BLOB (the exact frame); the views read them as text.
"""

from __future__ import annotations

import sqlite3

# The file format's version (PRAGMA user_version): 2 added the views below.
STORE_SCHEMA_VERSION = 2
# "CORG" in ASCII: lets `file` and our own tools recognise a session file.
APPLICATION_ID = 0x434F5247

# (name, SELECT ...). Topics are selected by range so the (topic, t_ns) index serves.
_VIEWS: tuple[tuple[str, str], ...] = (
    (
        "session_info",
        """SELECT json_extract(p, '$.client_id') AS client_id,
       json_extract(p, '$.therapist_id') AS therapist_id,
       json_extract(p, '$.clock.wall_anchor_ns') AS wall_anchor_ns,
       json_extract(p, '$.clock.monotonic_anchor_ns') AS monotonic_anchor_ns,
       json_extract(p, '$.clock.speed') AS speed,
       json_extract(p, '$.software') AS software,
       json_extract(p, '$.mode') AS mode,
       p AS parameters_json
FROM (SELECT CAST(payload AS TEXT) AS p FROM messages WHERE topic = 'session'
      ORDER BY id LIMIT 1)""",
    ),
    (
        "hrm",
        """SELECT substr(topic, 5) AS role, t_ns, payload AS data, id AS message_id
FROM messages WHERE topic >= 'hrm.' AND topic < 'hrm/'""",
    ),
    (
        "beats",
        """SELECT substr(m.topic, 6) AS role,
       j.value AS t_ns,
       json_extract(m.p, '$.rr_ms[' || j.key || ']') AS rr_ms,
       json_extract(m.p, '$.rr_ticks[' || j.key || ']') AS rr_ticks,
       CASE WHEN j.key = 0 THEN coalesce(json_extract(m.p, '$.gap_before'), 0)
            ELSE 0 END AS gap_before,
       coalesce(json_extract(m.p, '$.source'), 'strap') AS source,
       json_extract(m.p, '$.artifact[' || j.key || ']') AS artifact,
       m.id AS message_id
FROM (SELECT id, topic, CAST(payload AS TEXT) AS p FROM messages
      WHERE topic >= 'beat.' AND topic < 'beat/') AS m,
     json_each(m.p, '$.t_ns') AS j""",
    ),
    (
        "hr_samples",
        """SELECT substr(topic, 4) AS role, t_ns,
       json_extract(CAST(payload AS TEXT), '$.hr_bpm') AS hr_bpm,
       json_extract(CAST(payload AS TEXT), '$.source') AS source
FROM messages WHERE topic >= 'hr.' AND topic < 'hr/'""",
    ),
    (
        "ecg",
        """SELECT substr(topic, 5) AS role, t_ns, enc, payload AS frame, id AS message_id
FROM messages WHERE topic >= 'ecg.' AND topic < 'ecg/'""",
    ),
    (
        "acc",
        """SELECT substr(topic, 5) AS role, t_ns, enc, payload AS frame, id AS message_id
FROM messages WHERE topic >= 'acc.' AND topic < 'acc/'""",
    ),
    (
        "status",
        """SELECT substr(topic, 8) AS subject, source, t_ns,
       json_extract(CAST(payload AS TEXT), '$.status') AS status,
       CAST(payload AS TEXT) AS detail_json
FROM messages WHERE topic >= 'status.' AND topic < 'status/'""",
    ),
    (
        "devices",
        """SELECT role, min(t_ns) AS t_ns, name, address FROM (
    SELECT substr(topic, 8) AS role, t_ns,
           json_extract(CAST(payload AS TEXT), '$.name') AS name,
           json_extract(CAST(payload AS TEXT), '$.address') AS address
    FROM messages WHERE topic >= 'status.' AND topic < 'status/')
WHERE name IS NOT NULL GROUP BY role, name, address ORDER BY role, t_ns""",
    ),
    (
        "metrics",
        """SELECT substr(topic, 9) AS role, source, t_ns,
       json_extract(p, '$.hr_bpm') AS hr_bpm,
       json_extract(p, '$.rmssd_ms') AS rmssd_ms,
       json_extract(p, '$.ln_rmssd') AS ln_rmssd,
       json_extract(p, '$.artifact_share') AS artifact_share,
       json_extract(p, '$.n_beats') AS n_beats,
       json_extract(p, '$.n_diffs') AS n_diffs,
       p AS payload_json
FROM (SELECT topic, source, t_ns, CAST(payload AS TEXT) AS p FROM messages
      WHERE topic >= 'metrics.' AND topic < 'metrics/')""",
    ),
    (
        "synchrony",
        """SELECT source, t_ns,
       json_extract(p, '$.series') AS series,
       json_extract(p, '$.final') AS final,
       json_extract(p, '$.window.peak_r') AS peak_r,
       json_extract(p, '$.window.peak_z') AS peak_z,
       json_extract(p, '$.window.peak_lag_s') AS peak_lag_s,
       json_extract(p, '$.summary.mean_peak_z') AS session_mean_peak_z,
       json_extract(p, '$.summary.median_peak_lag_s') AS session_median_peak_lag_s,
       json_extract(p, '$.susy.z.es') AS susy_es,
       p AS payload_json
FROM (SELECT source, t_ns, CAST(payload AS TEXT) AS p FROM messages
      WHERE topic = 'sync' OR (topic >= 'sync.' AND topic < 'sync/'))""",
    ),
    (
        # Markers as the window publishes them (docs/protocol.md `marker`): retractions
        # (undo) are not markers, and a marker that was retracted is left out. This view
        # serves SQL readers (R, pandas) and is baked into existing files; Python reads
        # markers through `sessionfile.markers.Markers`, and a test keeps the two agreeing.
        "markers",
        """SELECT m.t_ns AS t_ns, m.source AS source,
       json_extract(m.p, '$.id') AS id,
       json_extract(m.p, '$.kind') AS kind,
       json_extract(m.p, '$.text') AS note,
       m.p AS payload_json
FROM (SELECT t_ns, source, CAST(payload AS TEXT) AS p FROM messages
      WHERE topic = 'marker' OR (topic >= 'marker.' AND topic < 'marker/')) AS m
WHERE coalesce(json_extract(m.p, '$.kind'), '') != 'retraction'
  AND NOT EXISTS (
      SELECT 1 FROM messages AS r
      WHERE (r.topic = 'marker' OR (r.topic >= 'marker.' AND r.topic < 'marker/'))
        AND json_extract(CAST(r.payload AS TEXT), '$.kind') = 'retraction'
        AND json_extract(CAST(r.payload AS TEXT), '$.retracts') = json_extract(m.p, '$.id'))""",
    ),
    (
        "ratings",
        """SELECT t_ns, source,
       json_extract(CAST(payload AS TEXT), '$.instrument') AS instrument,
       json_extract(CAST(payload AS TEXT), '$.total') AS total,
       json_extract(CAST(payload AS TEXT), '$.items') AS items_json,
       CAST(payload AS TEXT) AS payload_json
FROM messages WHERE topic = 'rating' OR (topic >= 'rating.' AND topic < 'rating/')""",
    ),
)

VIEW_NAMES: tuple[str, ...] = tuple(name for name, _ in _VIEWS)

# Statements that add the views to a file (schema 2); idempotent.
VIEWS_SQL: tuple[str, ...] = tuple(
    f"CREATE VIEW IF NOT EXISTS {name} AS {select}" for name, select in _VIEWS
)


def create_temp_views(db: sqlite3.Connection) -> None:
    """Give a read-only connection to an older file the current views, in memory only."""
    for name, select in _VIEWS:
        db.execute(f"CREATE TEMP VIEW IF NOT EXISTS {name} AS {select}")

"""Backup and restore of a whole portal: ``flask backup create | verify | restore | check``.

One archive holds, in this order, the database (a consistent copy taken while the portal
runs), then the stored files (evidence, condition evidence, rendered reports), then the
instance folder's secrets that verify what the database holds (the secret key, the audit
trail's key and checkpoints), and a manifest with the SHA-256 of every member.

The database is copied **before** the files: every row in the copy then has its file in
the archive (a file written after the copy is an unreferenced extra, which the orphan sweep
removes after a restore). Copying the files first would lose the files of rows created in
between.

- ``database.py``: the copy (SQLite online backup API, ``pg_dump``) and putting it back;
- ``files.py``: the stored files each table's rows refer to, checking them against their
  SHA-256, and what of the instance folder the archive carries;
- ``archive.py``: writing the archive and checking it against its manifest;
- ``restore.py``: a restore, in order, refusing a corrupt archive or a non-empty target;
- ``cli.py``: the commands.
"""

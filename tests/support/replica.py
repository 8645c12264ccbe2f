"""A real streaming replica of the local PostgreSQL, for the tests that need one.

``pg_basebackup -R`` copies the primary into a temporary directory, and the copy is started on a
free port with the server binaries of the primary's major version, as the ``postgres`` user when
the suite runs as root (PostgreSQL refuses to run as root) or else as the current user. The
replica streams through its own replication slot, so WAL it still needs is kept while a test has it
stopped; the slot is dropped and the directory removed afterwards, even when a test fails.

The primary must accept replication connections from 127.0.0.1. The Debian cluster in CI does not
by default; when that is so and this process may edit ``pg_hba.conf`` (root on the database host),
``allow_local_replication`` adds one line for 127.0.0.1 only, idempotently, and reloads. Anything
else it cannot fix (``wal_level``, ``max_wal_senders``: both need a restart) is reported.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.support.network import free_port

HBA_MARKER = "# waterbill test suite: streaming replicas from 127.0.0.1 (tests/support/replica.py)"
HBA_RULE = "host replication postgres 127.0.0.1/32 trust"
SLOT_PREFIX = "waterbill_test_"
# Hot standby refuses to start unless these are at least the primary's values.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


class ReplicaUnavailable(Exception):
    """This machine cannot run a streaming replica; the message says why and what to change."""


def _url_parts(url: str) -> dict[str, Any]:
    return conninfo_to_dict(url)


def _replication_works(admin_url: str) -> str | None:
    try:
        with psycopg.connect(admin_url, replication="true", autocommit=True, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip()


def allow_local_replication(admin_url: str) -> None:
    """Make sure the primary streams to 127.0.0.1, editing pg_hba.conf once if it must."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        settings = dict(
            connection.execute(
                "SELECT name, setting FROM pg_settings"
                " WHERE name IN ('wal_level', 'max_wal_senders', 'hba_file')"
            ).fetchall()
        )
    if settings["wal_level"] not in {"replica", "logical"} or int(settings["max_wal_senders"]) < 3:
        raise ReplicaUnavailable(
            f"the primary has wal_level={settings['wal_level']} and max_wal_senders="
            f"{settings['max_wal_senders']}; streaming needs wal_level=replica and at least 3 WAL "
            "senders (a server restart is needed to change either)"
        )
    problem = _replication_works(admin_url)
    if problem is None:
        return
    hba = Path(settings["hba_file"])
    if "no pg_hba.conf entry" not in problem or not os.access(hba, os.W_OK):
        raise ReplicaUnavailable(
            f"the primary refuses replication from 127.0.0.1 ({problem}); add the line "
            f"'{HBA_RULE}' to {hba} and reload the server"
        )
    # Several test sessions may get here at once: one of them edits, the others find the line.
    with hba.open("r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if HBA_MARKER not in handle.read():
            handle.seek(0, os.SEEK_END)
            handle.write(f"\n{HBA_MARKER}\n{HBA_RULE}\n")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute("SELECT pg_reload_conf()")
    deadline = time.monotonic() + 10
    while (problem := _replication_works(admin_url)) is not None:
        if time.monotonic() > deadline:
            raise ReplicaUnavailable(f"replication still refused after editing {hba}: {problem}")
        time.sleep(0.1)


def _drop_abandoned_slots(admin_url: str) -> None:
    """Slots left by test runs that were killed outright would keep WAL on the primary forever."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        names = connection.execute(
            "SELECT slot_name FROM pg_replication_slots WHERE NOT active AND slot_name LIKE %s",
            (SLOT_PREFIX.replace("_", r"\_") + "%",),
        ).fetchall()
        for (name,) in names:
            match = re.fullmatch(rf"{SLOT_PREFIX}(\d+)_[0-9a-f]+", name)
            if match and not _process_exists(int(match.group(1))):
                connection.execute("SELECT pg_drop_replication_slot(%s)", (name,))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StreamingReplica:
    """A hot standby of the primary at ``admin_url``; ``url`` reaches it like the primary."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        with psycopg.connect(admin_url, autocommit=True) as connection:
            major = connection.info.server_version // 10000
            self._matched = dict(
                connection.execute(
                    "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                    (list(MATCHED_SETTINGS),),
                ).fetchall()
            )
        self.bindir = Path(
            os.environ.get("WATERBILL_TEST_POSTGRES_BINDIR", f"/usr/lib/postgresql/{major}/bin")
        )
        if not (self.bindir / "pg_ctl").exists():
            raise ReplicaUnavailable(
                f"no PostgreSQL {major} server binaries in {self.bindir} "
                "(set WATERBILL_TEST_POSTGRES_BINDIR)"
            )
        self._as_root = os.geteuid() == 0
        self.owner = "postgres" if self._as_root else pwd.getpwuid(os.geteuid()).pw_name
        self.slot = f"{SLOT_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="waterbill-replica-"))
        self.datadir = self.workdir / "data"
        self._slot_created = False

    # -- lifecycle -----------------------------------------------------------------------------

    def _run(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.owner, "--"] if self._as_root else []
        result = subprocess.run(
            [*prefix, *command],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise ReplicaUnavailable(
                f"{' '.join(command)} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result

    def create(self) -> None:
        """Copy the primary with ``pg_basebackup -R`` and configure the copy as a hot standby."""
        if self._as_root:
            shutil.chown(self.workdir, user=self.owner)
        self.workdir.chmod(0o700)
        _drop_abandoned_slots(self.admin_url)
        # A server shared with a bulk load can invalidate the new slot mid-copy (WAL beyond
        # max_slot_wal_keep_size); one more attempt, with a fresh slot, is then worth it.
        for attempt in (1, 2):
            try:
                self._base_backup()
                break
            except ReplicaUnavailable:
                self._drop_slot()
                shutil.rmtree(self.datadir, ignore_errors=True)
                if attempt == 2:
                    raise
                self.slot = f"{SLOT_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
        # A Debian cluster keeps its configuration in /etc, so the copy gets its own.
        matched = "\n".join(f"{name} = {value}" for name, value in self._matched.items())
        self._write(
            "postgresql.conf",
            f"""\
port = {self.port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{self.workdir}'
hot_standby = on
shared_buffers = 32MB
fsync = off
wal_receiver_status_interval = 1s
{matched}
""",
        )
        self._write("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self._write("pg_ident.conf", "")

    def _base_backup(self) -> None:
        primary = _url_parts(self.admin_url)
        self._slot_created = True  # pg_basebackup may have created it before failing
        self._run(
            str(self.bindir / "pg_basebackup"),
            "--dbname",
            make_conninfo(
                host=primary.get("host", "127.0.0.1"),
                port=str(primary.get("port", 5432)),
                user=primary.get("user", "postgres"),
                application_name=self.slot,
            ),
            "--pgdata",
            str(self.datadir),
            "--wal-method=stream",
            "--write-recovery-conf",
            "--create-slot",
            f"--slot={self.slot}",
            "--checkpoint=fast",
            "--no-sync",
        )

    def _drop_slot(self) -> None:
        if not self._slot_created:
            return
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self.admin_url, autocommit=True) as connection,
        ):
            connection.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                " WHERE slot_name = %s",
                (self.slot,),
            )
        self._slot_created = False

    def _write(self, name: str, content: str) -> None:
        path = self.datadir / name
        path.write_text(content, encoding="utf-8")
        if self._as_root:
            shutil.chown(path, user=self.owner)

    def start(self) -> None:
        """Start the server and wait until it accepts read-only connections."""
        self._run(
            str(self.bindir / "pg_ctl"),
            "--pgdata",
            str(self.datadir),
            "--log",
            str(self.workdir / "server.log"),
            "--wait",
            "--timeout=60",
            "start",
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2) as connection:
                    if connection.execute("SELECT pg_is_in_recovery()").fetchone() == (True,):
                        return
            except psycopg.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise ReplicaUnavailable(f"the replica did not come up: {self.log_tail()}")
            time.sleep(0.1)

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` is as abrupt as a crash, connections cut mid-query."""
        self._run(
            str(self.bindir / "pg_ctl"), "--pgdata", str(self.datadir), f"--mode={mode}", "stop"
        )

    def is_running(self) -> bool:
        return (self.datadir / "postmaster.pid").exists()

    def destroy(self) -> None:
        """Stop the server, drop the slot and remove the directory; each step tolerates failure."""
        if self.is_running():
            with contextlib.suppress(ReplicaUnavailable, subprocess.TimeoutExpired):
                self.stop()
        self._drop_slot()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- what tests use ------------------------------------------------------------------------

    def url(self, database: str) -> str:
        user = _url_parts(self.admin_url).get("user", "postgres")
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql)

    def pause_replay(self) -> None:
        self.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.execute("SELECT pg_wal_replay_resume()")

    def wait_for_database(self, name: str, timeout: float = 30) -> None:
        """Wait until a database created on the primary has reached the replica."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(name), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def log_tail(self, lines: int = 20) -> str:
        log = self.workdir / "server.log"
        return (
            "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""
        )


@contextlib.contextmanager
def streaming_replica(admin_url: str) -> Iterator[StreamingReplica]:
    """A running replica for the duration of the block; nothing of it is left afterwards."""
    allow_local_replication(admin_url)
    replica = StreamingReplica(admin_url)
    try:
        replica.create()
        replica.start()
        yield replica
    finally:
        replica.destroy()

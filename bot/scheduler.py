"""APScheduler 3 with its SQLAlchemy job store, run by whichever replica holds the lease.

With PostgreSQL the lease is a session-level advisory lock held on a dedicated connection: when
the holder dies, PostgreSQL drops the lock and another replica's next attempt takes over. SQLite
is single-process (`kettle serve` refuses to share a file: see `bot.server.OneServePerFile`), so the
lease is always granted.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

SCHEDULER_LOCK_KEY = 0x6B747363  # "ktsc"
JOBSTORE_TABLE = "apscheduler_jobs"
#: The lease connection's application_name begins so, so `kettle doctor` can tell a Kettle
#: replica holding the lease from anything else holding it.
LEASE_APPLICATION = "kettle scheduler"
DEFAULT_MISFIRE_GRACE = int(timedelta(hours=12).total_seconds())

Setup = Callable[[BackgroundScheduler], None]


class SchedulerLease:
    """Holds (or keeps trying for) the right to run the scheduler."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Any = None

    def try_acquire(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is None:
            self._conn = self.engine.connect()
            self._conn.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": f"{LEASE_APPLICATION} {socket.gethostname()}:{os.getpid()}"[:63]},
            )
        got = bool(
            self._conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": SCHEDULER_LOCK_KEY}
            ).scalar()
        )
        self._conn.commit()
        if not got:
            self._conn.close()
            self._conn = None
        return got

    def still_held(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception:
            log.warning("scheduler lease connection lost")
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEDULER_LOCK_KEY})
                self._conn.commit()
            except Exception:
                log.debug("advisory unlock failed; closing the connection releases it")
            finally:
                try:
                    self._conn.close()
                finally:
                    self._conn = None


def build_scheduler(engine: Engine, *, timezone: str = "UTC") -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": DEFAULT_MISFIRE_GRACE,
        },
        timezone=timezone,
    )


class SchedulerService:
    """Starts the scheduler when this replica holds the lease and stops it when the lease is lost."""

    def __init__(
        self,
        engine: Engine,
        setups: list[Setup],
        *,
        poll_seconds: float = 15.0,
        timezone: str = "UTC",
    ) -> None:
        self.engine = engine
        self.setups = setups
        self.poll_seconds = poll_seconds
        self.timezone = timezone
        self.lease = SchedulerLease(engine)
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    def start(self) -> None:
        self._tick()
        self._thread = threading.Thread(target=self._loop, name="kettle-lease", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self._tick()
            except Exception:
                log.exception("scheduler lease check failed")

    def _tick(self) -> None:
        if self.scheduler is not None:
            if not self.lease.still_held():
                log.warning("scheduler lease lost; stopping the scheduler on this replica")
                self._shutdown_scheduler()
            return
        if self.lease.try_acquire():
            scheduler = build_scheduler(self.engine, timezone=self.timezone)
            for setup in self.setups:
                setup(scheduler)
            scheduler.start()
            self.scheduler = scheduler
            log.info("this replica holds the scheduler lease; scheduler started")

    def _shutdown_scheduler(self) -> None:
        if self.scheduler is not None:
            try:
                self.scheduler.shutdown(wait=False)
            except Exception:
                log.exception("scheduler shutdown failed")
            self.scheduler = None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        self.lease.release()

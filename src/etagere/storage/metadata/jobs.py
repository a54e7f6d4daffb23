"""The durable job queue: one row per document, claimed with an expiring lease.

A worker that dies mid-job simply stops renewing its lease; once the lease has expired the job
is claimable again, so it is retried, never lost. ``generation`` changes when a document is
reprocessed, so a late result from an older run can never overwrite a newer one.
On PostgreSQL claims use ``FOR UPDATE SKIP LOCKED``; on SQLite the write transaction itself
(``BEGIN IMMEDIATE``) serialises claimers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.storage.metadata.schema import documents, jobs

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"


@dataclass(frozen=True)
class ClaimedJob:
    document_id: UUID
    generation: int
    attempts: int
    last_error: str | None


def enqueue(conn: Connection, document_id: UUID, now: datetime) -> None:
    """Queue (or re-queue, with a new generation) the processing of a document."""
    updated = conn.execute(
        jobs.update()
        .where(jobs.c.document_id == document_id)
        .values(
            state=QUEUED,
            generation=jobs.c.generation + 1,
            attempts=0,
            lease_owner=None,
            lease_expires_at=None,
            last_error=None,
            created_at=now,
            updated_at=now,
        )
    ).rowcount
    if not updated:
        conn.execute(
            jobs.insert().values(
                document_id=document_id,
                state=QUEUED,
                generation=1,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        )


def claim(
    conn: Connection,
    owner: str,
    now: datetime,
    lease: timedelta,
    *,
    smallest_first: bool = False,
) -> ClaimedJob | None:
    """Take the oldest queued job, or one whose lease expired, for ``lease``.

    ``smallest_first`` takes the smallest document instead (by bytes, the one measure of its
    work known before extraction): a worker busy with a long job lets small ones pass.
    """
    claimable = sa.or_(
        jobs.c.state == QUEUED, sa.and_(jobs.c.state == RUNNING, jobs.c.lease_expires_at < now)
    )
    candidate = sa.select(jobs.c.document_id).where(claimable)
    if smallest_first:
        candidate = candidate.join(documents, documents.c.id == jobs.c.document_id).order_by(
            documents.c.size, jobs.c.created_at
        )
    else:
        candidate = candidate.order_by(jobs.c.created_at)
    candidate = candidate.limit(1).with_for_update(skip_locked=True, of=jobs)
    document_id = conn.execute(candidate).scalar()
    if document_id is None:
        return None
    row = conn.execute(
        jobs.update()
        .where(jobs.c.document_id == document_id)
        .values(
            state=RUNNING,
            lease_owner=owner,
            lease_expires_at=now + lease,
            attempts=jobs.c.attempts + 1,
            updated_at=now,
        )
        .returning(jobs.c.generation, jobs.c.attempts, jobs.c.last_error)
    ).one()
    return ClaimedJob(document_id, row.generation, row.attempts, row.last_error)


def renew(conn: Connection, job: ClaimedJob, owner: str, until: datetime) -> bool:
    """Extend a lease still held by ``owner``; False when the job was lost or superseded."""
    return bool(
        conn.execute(
            jobs.update().where(*_held(job, owner)).values(lease_expires_at=until, updated_at=until)
        ).rowcount
    )


def finish(conn: Connection, job: ClaimedJob, owner: str, now: datetime, *, failed: bool) -> bool:
    """Mark a held job done (or failed for good); False if it is no longer this run's."""
    state = FAILED if failed else DONE
    return bool(
        conn.execute(
            jobs.update()
            .where(*_held(job, owner))
            .values(state=state, lease_owner=None, lease_expires_at=None, updated_at=now)
        ).rowcount
    )


def release(conn: Connection, job: ClaimedJob, owner: str, now: datetime, error: str) -> None:
    """Give a job back for a retry after an unexpected failure."""
    conn.execute(
        jobs.update()
        .where(*_held(job, owner))
        .values(
            state=QUEUED, lease_owner=None, lease_expires_at=None, last_error=error, updated_at=now
        )
    )


def is_current(conn: Connection, job: ClaimedJob, owner: str) -> bool:
    """Whether this run still holds the job (checked before writing results)."""
    query = sa.select(jobs.c.document_id).where(*_held(job, owner))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first() is not None


def counts(conn: Connection) -> dict[str, int]:
    query = sa.select(jobs.c.state, sa.func.count()).group_by(jobs.c.state)
    return {state: int(n) for state, n in conn.execute(query)}


def _held(job: ClaimedJob, owner: str) -> list[sa.ColumnElement[bool]]:
    return [
        jobs.c.document_id == job.document_id,
        jobs.c.generation == job.generation,
        jobs.c.state == RUNNING,
        jobs.c.lease_owner == owner,
    ]

"""Files kept per job beside the stores: ``<folder>/<job id><suffix>``, one owner
for each kind (``bot.stores.artworks`` holds them): the full-resolution PNG of an
artwork (``results/<job>.png``, the "full resolution" button) and its
timelapse's frames (``timelapse/<job>.zip``, the "🎞 Timelapse" button).

On disk, not in memory; written whole, then renamed, so a reader never sees
half a file; kept as long as the artwork: purged by age
(``LIENZO_RETENTION_DAYS``: by the file's time, since a file may outlive its
job's row) or deleted by job at /forget.
"""

from __future__ import annotations

import contextlib
import io
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from engine.queue.payloads import JOB_ID_RE


class JobFiles:
    """One kind of file, one per job, in ``folder``."""

    def __init__(self, folder: Path, suffix: str) -> None:
        self.folder = folder
        self.suffix = suffix

    def path(self, job_id: str) -> Path:
        """Where the job's file is kept (a job id is checked: it names a file)."""
        if not JOB_ID_RE.fullmatch(job_id):
            raise ValueError(f"bad job id {job_id!r}")
        return self.folder / f"{job_id}{self.suffix}"

    def keep(self, job_id: str, data: bytes) -> None:
        path = self.path(job_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{job_id}.{time.monotonic_ns()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def read(self, job_id: str) -> bytes | None:
        """The job's file, or None (none kept, or purged)."""
        try:
            return self.path(job_id).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, job_ids: Iterable[str]) -> int:
        """/forget: the files of these jobs; how many there were."""
        count = 0
        for job_id in job_ids:
            with contextlib.suppress(FileNotFoundError, ValueError):
                self.path(job_id).unlink()
                count += 1
        return count

    def purge(self, before: float) -> int:
        """The retention period: files written before ``before`` go; how many."""
        count = 0
        for path in self.folder.glob(f"*{self.suffix}"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < before:
                    path.unlink()
                    count += 1
        return count


class Timelapses(JobFiles):
    """A job's timelapse frames (issue 13, "Watch it paint": the photo, the
    snapshots, the painting, as JPEGs from the worker's result), as one zip of
    the frames in order (stored, not compressed: JPEGs do not shrink)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, ".zip")

    def keep_frames(self, job_id: str, frames: Sequence[bytes]) -> None:
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
            for i, frame in enumerate(frames):
                archive.writestr(f"{i:03d}.jpg", frame)
        self.keep(job_id, packed.getvalue())

    def frames(self, job_id: str) -> list[bytes] | None:
        """The job's frames in order, or None (none kept, or purged)."""
        data = self.read(job_id)
        if data is None:
            return None
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return [archive.read(name) for name in sorted(archive.namelist())]
        except zipfile.BadZipFile:
            return None

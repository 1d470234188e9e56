"""Long work off the request thread: a small runner of background jobs with progress.

A job is a function of its `Job`; it reports progress through `job.progress(stage, done, total)`
(the library's `on_progress` callbacks have that shape) and returns a result the page shows. A
deliberate error (QrprocError) is kept as its one-line message; anything else is a bug: it is
logged with its traceback and the page only says that something went wrong.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from qrproc.errors import QrprocError
from qrproc.i18n import naming, speaking
from qrproc.web.words import DESK_WORDS

log = logging.getLogger(__name__)

WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"
#: Finished jobs kept for their pages; the oldest go first (with their upload folder).
KEEP = 60


@dataclass
class Job:
    """One piece of background work and what the page needs to follow it."""

    id: str
    kind: str
    params: dict = field(default_factory=dict)
    folder: Path | None = None          # uploads that belong to this job, removed with it
    state: str = WAITING
    stage: str = ""
    done: int = 0
    total: int = 0
    error: str | None = None            # the QrprocError's message
    unexpected: bool = False            # failed with a bug (logged), not a deliberate error
    result: Any = None
    used: bool = False                  # its preview was confirmed or cancelled

    def progress(self, stage: str, done: int, total: int | None) -> None:
        self.stage, self.done, self.total = stage, done, total or 0

    def view(self) -> "Job":
        """A copy of the job as it is at this moment, for one page to render.

        The worker thread sets `result` before `state`, and the copy reads `state` first, so a
        page never sees a finished job without its result, however the render and the worker
        interleave (rendering the live job could read `result` before the job ended and
        `state` after it).
        """
        return replace(self)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))


class JobRunner:
    """Runs jobs, at most `workers` at a time, and keeps the latest of them by id.

    Each job has a daemon thread: stopping the desk (Ctrl+C) does not wait for a long fetch,
    which resumes from its cache next time; a write it had begun is rolled back by SQLite.
    """

    def __init__(self, workers: int = 2):
        self._slots = threading.BoundedSemaphore(workers)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, kind: str, work: Callable[[Job], Any], *, params: dict | None = None,
              folder: Path | None = None) -> Job:
        job = Job(id=secrets.token_urlsafe(12), kind=kind, params=dict(params or {}), folder=folder)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        threading.Thread(target=self._run, args=(job, work), name=f"qrproc-{kind}-{job.id}",
                         daemon=True).start()
        return job

    def get(self, job_id: str, kind: str | None = None) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or (kind is not None and job.kind != kind):
            return None
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        # the desk's messages are Vietnamese, and name the desk's boxes, not the CLI's flags
        with self._slots, speaking("vi"), naming(DESK_WORDS):
            job.state = RUNNING
            try:
                job.result = work(job)
            except QrprocError as e:
                job.error = str(e)
                job.state = FAILED
            except Exception:  # a bug: logged with its traceback, the page apologises
                log.exception("background job %s (%s) failed", job.id, job.kind)
                job.unexpected = True
                job.state = FAILED
            else:
                job.state = DONE

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished]
        for job in finished[:max(0, len(self._jobs) - KEEP)]:
            del self._jobs[job.id]
            if job.folder is not None:
                shutil.rmtree(job.folder, ignore_errors=True)


#: What the page says while a stage runs (the library's stage names, and the desk's own).
STAGE_LABELS = {
    "": "Đang chuẩn bị",
    "read": "Đang đọc tệp",
    "pages": "Đang tải danh sách thủ tục từ Cổng",
    "details": "Đang tải chi tiết từng thủ tục",
    "preview": "Đang so sánh với danh mục đã có",
    "render": "Đang vẽ các trang",
    "verify": "Đang kiểm tra từng mã QR",
    "png": "Đang ghi thẻ PNG",
    "decode": "Đang đọc mã QR trong ảnh",
}


def status(job: Job) -> dict:
    """The job as the page's progress script reads it."""
    return {"state": job.state, "stage": job.stage,
            "label": STAGE_LABELS.get(job.stage, job.stage), "done": job.done,
            "total": job.total, "percent": job.percent}

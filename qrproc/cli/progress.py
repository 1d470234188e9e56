"""Progress bars on stderr for the library's `on_progress(stage, done, total)` callbacks."""

from __future__ import annotations

import sys

import click

from qrproc.i18n import _


class StageProgress:
    """One click progress bar per stage, on stderr; a new bar when the stage or total changes.

    `labels` names the stages ({"verify": N_("Checking QR codes")}), in English marked for
    translation: each is shown in the user's language, padded to the longest so that the bars line
    up; `hidden` silences it all.
    Usable as a context manager so the last bar is closed on the way out.
    """

    def __init__(self, labels: dict[str, str], *, hidden: bool = False):
        self.labels = labels
        self.hidden = hidden
        self.stage: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.hidden or not total:
            return
        if stage != self.stage or self.bar is None or self.bar.length != total:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=total, label=self._label(stage),
                                         file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def _label(self, stage: str) -> str:
        width = max((len(_(text)) for text in self.labels.values()), default=0)
        return _(self.labels.get(stage, stage)).ljust(width)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> "StageProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

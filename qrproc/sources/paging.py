"""Listing every page of a paged source, resumably: the loop the portal and legacy sources share.

The source supplies how to fetch one page (I/O) and how to read it (pure); this module keeps the
pages already listed on disk (`ListProgress`), so an interrupted listing resumes, stops when the
list ends, and refuses a list that runs on past the total the server announced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from qrproc.errors import SourceError
from qrproc.i18n import N_, _, ngettext
from qrproc.sources.cache import ListProgress
from qrproc.vntext import number

OnProgress = Callable[[str, int, "int | None"], None]

#: Added to a failed fetch's message when what it got is kept for the next run.
KEPT = N_(" (kept in the cache: run the fetch again to resume)")


@dataclass(frozen=True)
class Page:
    """One page as the source reads it.

    `next` is the cursor to send for the page after it, or None when this page says it is the
    last; `total` is the number of items the server says the whole list has, when it says so.
    """

    items: Sequence[dict]
    total: int | None
    next: str | None


@dataclass(frozen=True)
class Pager:
    """How one source pages: fetch(cursor) -> raw page; read(raw, cursor it was fetched with) -> Page.

    A cursor is whatever the source sends to get a page: the portal's `lastId`, or a page number.
    """

    fetch: Callable[[str], object]
    read: Callable[[object, str], Page]
    first: str  # the cursor of the first page
    key: str  # the item field that identifies an item ("id", "ID")
    per_page: int
    where: str  # the URL, for messages
    says: str  # N_("the portal says"), N_("the gateway says"): translated when shown
    slack: int = 5  # pages allowed past ceil(total / per_page) before the list is refused
    stop_at_total: bool = False  # stop once `total` items are in (a source with no end marker)


def collect_pages(pager: Pager, *, progress: ListProgress | None,
                  on_progress: OnProgress) -> tuple[list[dict], int | None]:
    """Every item of the list (deduplicated by `pager.key`, in list order) and its total."""
    seen: dict[str, dict] = {}
    total: int | None = None
    cursor, pages = pager.first, 0

    def take(page: Page) -> int:
        nonlocal total
        if page.total is not None:
            total = page.total if total is None else max(total, page.total)
        before = len(seen)
        for item in page.items:
            seen.setdefault(str(item[pager.key]), item)
        return len(seen) - before

    def pages_total() -> int | None:
        return math.ceil(total / pager.per_page) if total else None

    for saved in progress.pages() if progress else ():
        page = pager.read(saved["data"], saved["after"])
        take(page)
        pages += 1
        cursor = page.next or cursor
    done = progress is not None and progress.complete
    on_progress("pages", pages, pages_total())
    while not done:
        try:
            raw = pager.fetch(cursor)
        except SourceError as e:
            kept = _(KEPT) if progress is not None and pages else ""
            about = pages_total()
            if about:
                message = ngettext("{error}; listed {pages} of about {total} page{kept}",
                                   "{error}; listed {pages} of about {total} pages{kept}", about)
            else:
                message = ngettext("{error}; listed {pages} page{kept}",
                                   "{error}; listed {pages} pages{kept}", pages)
            raise SourceError(message.format(error=e, pages=number(pages), total=number(about or 0),
                                             kept=kept)) from e
        page = pager.read(raw, cursor)
        if not page.items:
            break
        new = take(page)
        pages += 1
        if progress is not None:
            progress.add(cursor, raw)
        on_progress("pages", pages, pages_total())
        if not new or page.next is None or page.next == cursor:
            break
        if pager.stop_at_total and total is not None and len(seen) >= total:
            break
        if total is not None and pages > math.ceil(total / pager.per_page) + pager.slack:
            raise SourceError(_("{url}: the list did not end after {pages} pages of {per_page} "
                                "({says} {total} procedures)").format(
                                    url=pager.where, pages=pages, per_page=pager.per_page,
                                    says=_(pager.says), total=number(total)))
        cursor = page.next
    if progress is not None and not progress.complete:
        progress.finish()
    return list(seen.values()), total

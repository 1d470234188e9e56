"""The desk's pages, one module each: thin handlers over the library, like the click commands."""

from qrproc.web.pages import audits, board, imports, marking, printing, reports, settings

PAGES = (board.bp, imports.bp, printing.bp, marking.bp, reports.bp, audits.bp, settings.bp)

"""The `fetch` command: download the current catalogue from the national portal into the registry."""

from __future__ import annotations

from pathlib import Path

import click

from qrproc import catalogue
from qrproc.cli import DATE, dry_run_option, echo_import, number, warning
from qrproc.cli.progress import StageProgress
from qrproc.i18n import N_, _
from qrproc.http import DEFAULT_ATTEMPTS, DEFAULT_BACKOFF, DEFAULT_RATE, make_session
from qrproc.sources import legacy, portal
from qrproc.sources.cache import DEFAULT_DIRNAME, DetailCache

#: --source → (the library's fetch function, its default base URL)
SOURCES = {
    "portal": (portal.fetch_catalogue, portal.DEFAULT_BASE_URL),
    "legacy": (legacy.fetch_catalogue, legacy.DEFAULT_BASE_URL),
}
PROGRESS_LABELS = {"pages": N_("list pages"), "details": N_("details")}


class ProvinceType(click.ParamType):
    """A province: its H-code (H31) or the portal's GSO number (33)."""

    name = "province"

    def convert(self, value, param, ctx):
        if isinstance(value, portal.Province):
            return value
        try:
            return portal.find_province(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


@click.command()
@click.option("--province", type=ProvinceType(),
              help="Province code: H-code (H31) or GSO number (33). Default: the registry's province.")
@click.option("--source", type=click.Choice(sorted(SOURCES)), default="portal", show_default=True,
              help="portal: the JSON API of dichvucong.gov.vn; legacy: the old rest.jsp gateway.")
@click.option("--base-url", help="Portal address (default: the official one for --source).")
@click.option("--rate", type=click.FloatRange(min=0), default=DEFAULT_RATE, show_default=True,
              help="At most this many requests per second (0: no limit; be polite).")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help=f"Where details and an unfinished fetch are kept (default: {DEFAULT_DIRNAME}/ "
                   "next to the registry).")
@click.option("--max-age", type=click.FloatRange(min=0), default=30, show_default=True,
              help="Days a cached detail is reused when the list shows no change.")
@click.option("--attempts", type=click.IntRange(min=1), default=DEFAULT_ATTEMPTS, show_default=True,
              help="Tries per request before giving up (timeouts, 429, 5xx, the firewall page).")
@click.option("--backoff", type=click.FloatRange(min=0), default=DEFAULT_BACKOFF, show_default=True,
              help="Seconds to wait before the first retry; doubles each time (Retry-After wins).")
@click.option("--accept-drop", is_flag=True, help="Accept a list that drops more than 20% of the previous one.")
@click.option("--effective", type=DATE, help="Date the list takes effect (default: the list's own, else today).")
@click.option("--other-province", is_flag=True,
              help="Fetch for another province than the registry's, on purpose.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@dry_run_option
@click.pass_obj
def fetch(app, province, source, base_url, rate, cache_dir, max_age, attempts, backoff,
          accept_drop, effective, other_province, quiet, dry_run):
    """Fetch the current catalogue from the national public-service portal and store it as a
    snapshot (like import). Only the details that changed since the last fetch are downloaded;
    an interrupted fetch resumes where it stopped, and an incomplete one changes nothing.

    Example: qrproc fetch --province H31
    """
    app.registry.require_initialised()
    setting = app.registry.get_setting("province")
    if province is None:
        if not setting:
            raise click.UsageError(_("no --province given and the registry has no province "
                                     "setting"))
        province = ProvinceType().convert(setting, None, None)
    elif setting and province.hcode != setting and not other_province:
        raise click.ClickException(_(
            "this registry is for a unit in {name} ({code}), not {other} ({other_code}); nothing "
            "was fetched (to do it on purpose, add --other-province)").format(
            name=portal.find_province(setting).name, code=setting, other=province.name,
            other_code=province.hcode))
    fetch_catalogue, default_url = SOURCES[source]
    base_url = (base_url or default_url).rstrip("/")
    cache = DetailCache(Path(cache_dir) if cache_dir else Path(app.db).resolve().parent / DEFAULT_DIRNAME,
                        max_age=max_age * 86400)
    session = make_session(rate=rate or None, attempts=attempts, backoff=backoff)
    with session, StageProgress(PROGRESS_LABELS, hidden=quiet) as progress:
        cat = fetch_catalogue(session, base_url, province=province, cache=cache,
                              on_progress=progress)
    with app.changing(dry_run) as registry:
        out = catalogue.import_catalogue(registry, cat, effective=effective,
                                         accept_drop=accept_drop, other_province=other_province,
                                         at=app.now())
        for w in out.warnings:
            warning(w)
        click.echo(_("Fetched the catalogue for {code} {name} from {url} ({listed} listed by the "
                     "portal; {requests} requests, {downloaded} details downloaded, {cached} taken "
                     "from the cache).").format(
            code=province.hcode, name=province.name, url=base_url, listed=number(cat.total or 0),
            requests=number(session.requests_sent), downloaded=number(cache.stored),
            cached=number(cache.hits)))
        echo_import(out, _("Fetched"))


@click.command()
@click.option("--as-of", type=DATE, help="Date of the catalogue (default: today).")
@click.option("--base-url", help="Portal address (default: the official one).")
@click.option("--rate", type=click.FloatRange(min=0), default=DEFAULT_RATE, show_default=True,
              help="At most this many requests per second (0: no limit; be polite).")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help=f"Where list pages are kept (default: {DEFAULT_DIRNAME}/ next to the registry).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@dry_run_option
@click.pass_obj
def links(app, as_of, base_url, rate, cache_dir, quiet, dry_run):
    """Find each procedure's own page on the portal by its code, so its QR code links there
    instead of to a search (a decision annex carries codes, not portal ids).

    Reads the portal's public list only (about one request per 50 procedures); a code with more
    than one possible page keeps its search link, and is counted.

    Example: qrproc links
    """
    registry = app.registry
    registry.require_initialised()
    day = as_of or app.today()
    wanted = catalogue.codes_without_ids(registry, day)
    if not wanted:
        click.echo(_("Every procedure already links to its own page on the portal."))
        return
    base_url = (base_url or portal.DEFAULT_BASE_URL).rstrip("/")
    province = ProvinceType().convert(registry.get_setting("province"), None, None)
    cache = DetailCache(Path(cache_dir) if cache_dir else Path(registry.path).resolve().parent / DEFAULT_DIRNAME)
    session = make_session(rate=rate or None)
    with session, StageProgress(PROGRESS_LABELS, hidden=quiet) as progress:
        found, ambiguous, absent = portal.fetch_links(session, base_url, wanted, province=province,
                                                      cache=cache, on_progress=progress)
    plan = catalogue.LinkPlan(found, tuple(ambiguous), tuple(absent))
    with app.changing(dry_run) as registry:
        catalogue.store_links(registry, plan, source=base_url, at=app.now())
        click.echo(_("Links: {found} of {wanted} procedures now link to their own page on the "
                     "portal ({requests} requests); {ambiguous} have more than one possible page "
                     "and {absent} are not in the portal's list: they keep the search link.").format(
            found=len(found), wanted=len(wanted), requests=number(session.requests_sent),
            ambiguous=len(ambiguous), absent=len(absent)))
        for code in ambiguous:
            click.echo(_("  several pages: {code}").format(code=code))

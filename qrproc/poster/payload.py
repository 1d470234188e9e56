"""QR payloads: which URL a card encodes, the allow-list that guards it, and the QR symbol.

Pure: no files, no network. A payload comes from a URL template with ``{id}`` (the national
portal's UUID for the procedure), ``{code}`` (its procedure code) and ``{type}`` (the portal's
procedure type, STANDARD or SPECIFIC, so a search by code looks in the right list). Only ``https``/``http`` URLs
whose host is on the allow-list (the national portal's hosts plus hosts the unit adds) are ever
encoded; anything else raises `PayloadError`.

Print rules (posting-rules §D): error correction Q by default, a 4-module quiet zone, and a warning
when a payload needs a QR version above 6 (denser codes scan worse from a wall).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import numpy as np

from qrproc.errors import PayloadError
from qrproc.i18n import _, ngettext, option
from qrproc.poster import qr_mask

#: The national portal's page of one procedure, by its UUID.
DEFAULT_TEMPLATE = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{id}"
#: The portal's search by procedure code, for procedures whose UUID is not known; {type} is the
#: procedure's portal type, so a province-specific procedure is looked for among those.
DEFAULT_TEMPLATE_CODE = (
    "https://dichvucong.gov.vn/tra-cuu-thu-tuc/danh-sach?keyword={code}&showAdvanced=false"
    "&formalityType={type}&limit=10&activeKey={type}"
)
#: Procedure.kind -> the portal's type in a search link (unknown kinds search the national list).
PORTAL_TYPES = {"national": "STANDARD", "specific": "SPECIFIC", "": "STANDARD"}
#: Hosts of the national public-service portal (Cổng Dịch vụ công quốc gia): always allowed.
PORTAL_HOSTS = ("dichvucong.gov.vn", "www.dichvucong.gov.vn", "thutuc.dichvucong.gov.vn",
                "csdl.dichvucong.gov.vn")
SCHEMES = ("https", "http")
EC_LEVELS = ("L", "M", "Q", "H")
DEFAULT_EC = "Q"
#: Above this version a payload is flagged: the code gets dense for a wall board.
WARN_VERSION = 6

#: Registry settings keys.
SETTING_TEMPLATE = "payload_template"
SETTING_TEMPLATE_CODE = "payload_template_code"
SETTING_HOSTS = "allowed_hosts"
SETTING_EC = "qr_error_correction"

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
_SAMPLE = {"id": "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7", "code": "1.001193", "type": "STANDARD"}

# Byte-mode capacity (characters of UTF-8) of QR versions 1..40 at each error-correction level
# (ISO/IEC 18004 table 7; checked against segno). An encoder that segments the data into
# numeric/alphanumeric runs may need a smaller version, never a larger one, so this gives an upper
# bound for the layout before anything is encoded.
_BYTE_CAPACITY = {
    "L": (17, 32, 53, 78, 106, 134, 154, 192, 230, 271, 321, 367, 425, 458, 520, 586, 644, 718,
          792, 858, 929, 1003, 1091, 1171, 1273, 1367, 1465, 1528, 1628, 1732, 1840, 1952, 2068,
          2188, 2303, 2431, 2563, 2699, 2809, 2953),
    "M": (14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560,
          624, 666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722,
          1809, 1911, 1989, 2099, 2213, 2331),
    "Q": (11, 20, 32, 46, 60, 74, 86, 108, 130, 151, 177, 203, 241, 258, 292, 322, 364, 394,
          442, 482, 509, 565, 611, 661, 715, 751, 805, 868, 908, 982, 1030, 1112, 1168, 1228,
          1283, 1351, 1423, 1499, 1579, 1663),
    "H": (7, 14, 24, 34, 44, 58, 64, 84, 98, 119, 137, 155, 177, 194, 220, 250, 280, 310, 338,
          382, 403, 439, 461, 511, 535, 593, 625, 658, 698, 742, 790, 842, 898, 958, 983, 1051,
          1093, 1139, 1219, 1273),
}


@dataclass(frozen=True)
class PayloadConfig:
    """How a unit's cards link to the official pages: templates, extra hosts, error correction."""

    template: str = DEFAULT_TEMPLATE
    template_code: str = DEFAULT_TEMPLATE_CODE
    extra_hosts: tuple[str, ...] = ()
    ec: str = DEFAULT_EC

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset(PORTAL_HOSTS) | frozenset(self.extra_hosts)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> "PayloadConfig":
        """Read the registry settings (missing keys take the defaults)."""
        return cls(
            template=settings.get(SETTING_TEMPLATE) or DEFAULT_TEMPLATE,
            template_code=settings.get(SETTING_TEMPLATE_CODE) or DEFAULT_TEMPLATE_CODE,
            extra_hosts=parse_hosts(settings.get(SETTING_HOSTS) or ""),
            ec=(settings.get(SETTING_EC) or DEFAULT_EC).upper(),
        )

    def to_settings(self) -> dict[str, str]:
        return {SETTING_TEMPLATE: self.template, SETTING_TEMPLATE_CODE: self.template_code,
                SETTING_HOSTS: ",".join(self.extra_hosts), SETTING_EC: self.ec}

    def checked(self) -> "PayloadConfig":
        """Self, after checking both templates and the EC level; raises PayloadError."""
        if self.ec not in EC_LEVELS:
            raise PayloadError(_("error correction must be one of {levels}, not {ec!r}").format(
                levels=", ".join(EC_LEVELS), ec=self.ec))
        check_template(self.template, self.allowed_hosts, needs=())
        check_template(self.template_code, self.allowed_hosts, needs=("code",))
        return self


def parse_hosts(text: str | Iterable[str]) -> tuple[str, ...]:
    """'a.gov.vn, b.gov.vn' -> ('a.gov.vn', 'b.gov.vn'); refuses what is not a host name."""
    parts = re.split(r"[,\s]+", text) if isinstance(text, str) else list(text)
    out = []
    for part in parts:
        host = part.strip().lower().rstrip(".")
        if not host:
            continue
        if not _HOST.fullmatch(host):
            raise PayloadError(_("{text!r} is not a host name like dichvucong.hungyen.gov.vn (no "
                                 "scheme, path or port)").format(text=part))
        out.append(host)
    return tuple(dict.fromkeys(out))


_BAD_URL_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")


def check_url(url: str, allowed_hosts: Iterable[str]) -> str:
    """Return `url` if it may be encoded: http(s), no credentials, host on the allow-list."""
    if not url or _BAD_URL_CHAR.search(url):
        raise PayloadError(_("refusing QR payload {url!r}: empty or contains spaces/control "
                             "characters").format(url=url))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        if scheme:
            message = _("refusing QR payload {url!r}: only https/http links are encoded (scheme "
                        "{scheme!r})")
        else:
            message = _("refusing QR payload {url!r}: only https/http links are encoded (no "
                        "scheme)")
        raise PayloadError(message.format(url=url, scheme=scheme))
    if "@" in parts.netloc:
        raise PayloadError(_("refusing QR payload {url!r}: user names or passwords in links are "
                             "not allowed").format(url=url))
    try:
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as e:
        raise PayloadError(_("refusing QR payload {url!r}: {error}").format(url=url, error=e)) from e
    allowed = {h.lower() for h in allowed_hosts}
    if host not in allowed:
        if host:
            message = _("refusing QR payload {url!r}: host {host!r} is not on the allow-list "
                        "({allowed}); {allow_host}")
        else:
            message = _("refusing QR payload {url!r}: the link names no host; the allow-list is "
                        "{allowed}")
        raise PayloadError(message.format(url=url, host=host, allowed=", ".join(sorted(allowed)),
                                          allow_host=option("allow_host").format(host=host)))
    return url


def check_template(template: str, allowed_hosts: Iterable[str], *, needs: Iterable[str] = ()) -> str:
    """Check a URL template: known placeholders only, required ones present, and a sample
    filled in passes `check_url`. Returns the template."""
    names = _PLACEHOLDER.findall(template)
    unknown = sorted(set(names) - set(_SAMPLE))
    if unknown:
        raise PayloadError(ngettext(
            "template {template!r}: unknown placeholder {names} (use {{id}}, {{code}} and "
            "{{type}})",
            "template {template!r}: unknown placeholders {names} (use {{id}}, {{code}} and "
            "{{type}})", len(unknown)).format(
                template=template, names=", ".join("{" + n + "}" for n in unknown)))
    if not set(names) & {"id", "code"}:
        raise PayloadError(_("template {template!r} has no {{id}} or {{code}} placeholder: every "
                             "card would link to the same page").format(template=template))
    for name in needs:
        if name not in names:
            raise PayloadError(_("template {template!r} must contain {placeholder}").format(
                template=template, placeholder="{" + name + "}"))
    check_url(fill(template, **_SAMPLE), allowed_hosts)
    return template


def fill(template: str, *, id: str = "", code: str = "",  # noqa: A002 - the placeholder's name
         type: str = "STANDARD") -> str:  # noqa: A002
    """Substitute {id}, {code} and {type}, URL-quoted."""
    values = {"id": quote(id, safe=""), "code": quote(code, safe=""), "type": quote(type, safe="")}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def links_to_own_page(portal_id: str, config: PayloadConfig) -> bool:
    """True when a card links to the procedure's own page (its id fills the template), False
    when it falls back to a search by code."""
    uses = set(_PLACEHOLDER.findall(config.template))
    return bool(portal_id) or "id" not in uses


def payload_for(code: str, portal_id: str, config: PayloadConfig, kind: str = "") -> str:
    """The URL a card encodes: `config.template` when it can be filled (the procedure's portal id
    is known, or the template needs only {code}), else `config.template_code`, searching the
    list of the procedure's `kind` (Procedure.kind). Checked against the allow-list; raises
    PayloadError naming the procedure."""
    template = config.template if links_to_own_page(portal_id, config) else config.template_code
    needs = set(_PLACEHOLDER.findall(template))
    if "code" in needs and not code:
        raise PayloadError(_("{who}: no procedure code to put in {template!r}").format(
            who=portal_id or _("(no id)"), template=template))
    if "id" in needs and not portal_id:
        raise PayloadError(_("{code}: no portal id to put in {template!r}").format(
            code=code, template=template))
    try:
        return check_url(fill(template, id=portal_id, code=code,
                              type=PORTAL_TYPES.get(kind, "STANDARD")), config.allowed_hosts)
    except PayloadError as e:
        raise PayloadError(f"{code}: {e}") from e


def version_bound(payload: str, ec: str) -> int:
    """The QR version `payload` needs at most at level `ec` (byte mode); PayloadError beyond 40."""
    n = len(payload.encode("utf-8"))
    for version, cap in enumerate(_BYTE_CAPACITY[ec], start=1):
        if n <= cap:
            return version
    raise PayloadError(_("payload of {n} bytes is too long for any QR code at level {ec}: "
                         "{start}…").format(n=n, ec=ec, start=payload[:60]))


def modules(version: int) -> int:
    """Modules per side of a symbol, quiet zone excluded: 17 + 4 × version."""
    return 17 + 4 * version


@dataclass(frozen=True, eq=False)
class QrSymbol:
    """One encoded QR code: `dark[row, col]` is True for a dark module (quiet zone excluded).
    `path` is its fill path in module units (`qr_geometry.with_paths`), once made."""

    payload: str
    ec: str
    version: int
    dark: np.ndarray = field(repr=False)
    path: bytes = field(default=b"", repr=False)

    @property
    def size(self) -> int:
        return self.dark.shape[0]


def _write(payload: str, ec: str, version: int = 0, mask: int | None = None) -> np.ndarray:
    """zxing-cpp's symbol for `payload` (True = dark, quiet zone excluded), at `version` (0: the
    smallest that holds it) with data mask `mask` (None: the writer's choice). Checks that the
    writer kept the requested error-correction level (its writer API is young; a silently
    lowered level would weaken every printed code)."""
    import zxingcpp  # imported here: the payload rules above need no native library

    options: dict[str, int] = {}
    if version:
        options["version"] = version
    if mask is not None:
        options["data_mask"] = mask
    barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level=ec,
                                      **options)
    if barcode.ec_level != ec:
        raise PayloadError(_("the QR encoder produced level {got!r} instead of {ec!r} for "
                             "{payload!r}").format(got=barcode.ec_level, ec=ec, payload=payload))
    return np.asarray(barcode.to_image(scale=1, add_quiet_zones=False)) < 128


_DELTAS: dict[tuple[int, str], np.ndarray | None] = {}


def _deltas(version: int, ec: str) -> np.ndarray | None:
    key = (version, ec)
    if key not in _DELTAS:
        _DELTAS[key] = qr_mask.mask_deltas(version, ec, _write)
    return _DELTAS[key]


def encode_many(payloads: Sequence[str], ec: str = DEFAULT_EC) -> list[QrSymbol]:
    """The symbols of `payloads`, in order: each written once by zxing-cpp with mask 0, and the
    masks chosen for all of them together (`qr_mask`; the same symbols as the writer's own
    choice, in about a third of the time). Symbols over `qr_mask.MAX_SIZE` modules are left to the
    writer's choice."""
    plain = [_write(p, ec, mask=0) for p in payloads]
    by_size: dict[int, list[int]] = {}
    for i, matrix in enumerate(plain):
        by_size.setdefault(matrix.shape[0], []).append(i)
    out: list[QrSymbol | None] = [None] * len(payloads)
    for size, indexes in by_size.items():
        version = (size - 17) // 4
        deltas = _deltas(version, ec) if size <= qr_mask.MAX_SIZE else None
        if deltas is None:
            chosen = [_write(payloads[i], ec) for i in indexes]
        else:
            chosen = list(qr_mask.best(np.stack([plain[i] for i in indexes]), deltas)[0])
        for i, dark in zip(indexes, chosen):
            out[i] = QrSymbol(payload=payloads[i], ec=ec, version=version, dark=dark)
    return out  # type: ignore[return-value]


def encode(payload: str, ec: str = DEFAULT_EC) -> QrSymbol:
    """One payload's symbol (see `encode_many`)."""
    return encode_many([payload], ec)[0]


#: How the renderers get a symbol: (procedure code, payload, ec) -> QrSymbol.
Encoder = Callable[[str, str, str], QrSymbol]


class ZxingEncoder:
    """The default encoder: zxing-cpp's writer (`encode`), and `many` for a batch of symbols,
    whose masks are chosen together."""

    def __call__(self, code: str, payload: str, ec: str) -> QrSymbol:
        return encode(payload, ec)

    def many(self, keys: Sequence[tuple[str, str, str]]) -> list[QrSymbol]:
        """The symbols of (code, payload, ec) `keys`, in order, those of one level together."""
        out: list[QrSymbol | None] = [None] * len(keys)
        levels: dict[str, list[int]] = {}
        for i, (_code, _payload, ec) in enumerate(keys):
            levels.setdefault(ec, []).append(i)
        for ec, indexes in levels.items():
            for i, symbol in zip(indexes, encode_many([keys[i][1] for i in indexes], ec)):
                out[i] = symbol
        return out  # type: ignore[return-value]


default_encoder: Encoder = ZxingEncoder()


def encode_all(encoder: Encoder, keys: Sequence[tuple[str, str, str]]) -> list[QrSymbol]:
    """The symbols of (code, payload, ec) `keys`, in order: zxing-cpp's encoder takes them
    together (`ZxingEncoder.many`), another encoder (a test's) is asked one by one."""
    if isinstance(encoder, ZxingEncoder):
        return encoder.many(keys)
    return [encoder(*key) for key in keys]


def version_warnings(versions: Mapping[str, int]) -> list[str]:
    """One line naming the codes whose symbol is above WARN_VERSION (empty when none)."""
    dense = sorted((v, c) for c, v in versions.items() if v > WARN_VERSION)
    if not dense:
        return []
    worst = dense[-1][0]
    codes = ", ".join(c for _v, c in dense[:8])
    if len(dense) > 8:
        codes = _("{codes} and {n} more").format(codes=codes, n=len(dense) - 8)
    return [ngettext(
        "{n} QR code needs a version above {limit} (up to {worst}; {modules} modules): {codes}. A "
        "shorter link (e.g. a short redirect {set_template}) prints larger modules that scan "
        "more easily.",
        "{n} QR codes need a version above {limit} (up to {worst}; {modules} modules): {codes}. A "
        "shorter link (e.g. a short redirect {set_template}) prints larger modules that scan "
        "more easily.", len(dense)).format(
            n=len(dense), limit=WARN_VERSION, worst=worst, modules=modules(worst), codes=codes,
            set_template=option("set_template"))]


# -- from a decoded payload back to a procedure (the inverse of payload_for) ----------------------

# Why a payload is not read as a procedure link.
NOT_A_LINK = "not_a_link"
OTHER_HOST = "other_host"
UNRECOGNISED_LINK = "unrecognised_link"  # an allowed host, but not a procedure page we print

_ID_OR_CODE = re.compile(r"\{(id|code|type)\}")


@dataclass(frozen=True)
class PayloadRef:
    """What a decoded payload says: the portal id and/or procedure code in it (and the template it
    matched), or `reason` why it is not a link to a procedure page."""

    payload: str
    host: str = ""
    portal_id: str = ""
    code: str = ""
    template: str = ""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def _normal_url(url: str) -> str:
    """Scheme and host compared without regard to case; http and https count as one."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return urlunsplit(("https" if scheme == "http" else scheme, parts.netloc.lower(), parts.path,
                       parts.query, parts.fragment))


def _pattern(template: str) -> re.Pattern:
    out, pos, seen = [], 0, set()
    norm = _normal_url(template)
    for m in _ID_OR_CODE.finditer(norm):
        out.append(re.escape(norm[pos:m.start()]))
        name = m.group(1)
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>[^/?#&]+)")
        seen.add(name)
        pos = m.end()
    out.append(re.escape(norm[pos:]))
    return re.compile("".join(out))


def templates(config: PayloadConfig) -> tuple[str, ...]:
    """The templates a payload is matched against: the unit's two, then the portal's defaults
    (labels printed before the unit set its own)."""
    return tuple(dict.fromkeys((config.template, config.template_code, DEFAULT_TEMPLATE,
                                DEFAULT_TEMPLATE_CODE)))


def read_payload(payload: str, config: PayloadConfig) -> PayloadRef:
    """The inverse of `payload_for`: the portal id or procedure code a decoded URL carries.

    Only http(s) links on the allow-list (portal hosts plus the unit's) that match one of the
    `templates` exactly are read; anything else gets a `reason` and no id or code.
    """
    text = payload.strip()
    parts = urlsplit(text) if text and not any(c.isspace() for c in text) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return PayloadRef(payload, reason=NOT_A_LINK)
    try:
        host = (parts.hostname or "").lower()
    except ValueError:
        return PayloadRef(payload, reason=NOT_A_LINK)
    if "@" in parts.netloc or host not in {h.lower() for h in config.allowed_hosts}:
        return PayloadRef(payload, host=host, reason=OTHER_HOST)
    norm = _normal_url(text)
    for template in templates(config):
        m = _pattern(template).fullmatch(norm)
        if m:
            groups = m.groupdict()
            return PayloadRef(payload, host=host, portal_id=unquote(groups.get("id") or ""),
                              code=unquote(groups.get("code") or ""), template=template)
    return PayloadRef(payload, host=host, reason=UNRECOGNISED_LINK)

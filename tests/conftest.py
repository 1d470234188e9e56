"""Shared fixtures: registries and procedures built from real public codes and names.

The suite runs in English (QRPROC_LANG=en, set here for this process and the commands it
starts), so that its assertions read the messages as the code writes them; the Vietnamese the
user sees by default is asserted message by message in tests/test_i18n*.py, which set
QRPROC_LANG=vi."""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest

os.environ["QRPROC_LANG"] = "en"

from qrproc.model import Catalogue, Procedure
from qrproc.registry import Registry

AT = datetime(2026, 11, 28, 9, 0, 0)


def proc(code: str, name: str, field: str = "Hộ tịch", **kw) -> Procedure:
    return Procedure(code=code, name=name, field=field, levels=("commune",), **kw)


KHAI_SINH = proc("1.001193", "Thủ tục đăng ký khai sinh", portal_id="019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7")
KET_HON = proc("1.000894", "Thủ tục đăng ký kết hôn")
KHAI_TU = proc("1.000656", "Thủ tục đăng ký khai tử")
CHUNG_THUC = proc("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", field="Chứng thực")
HOA_GIAI = proc("2.002080", "Thủ tục thôi làm hòa giải viên", field="Hòa giải ở cơ sở")


def catalogue(*procs: Procedure, source: str = "list.csv") -> Catalogue:
    return Catalogue(source=source, procedures=tuple(procs))


@pytest.fixture
def registry():
    reg = Registry(":memory:")
    reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    yield reg
    reg.close()


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "qrproc.db"
    reg = Registry(path)
    reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    reg.close()
    return path


JUL = date(2026, 7, 1)
DEC = date(2026, 12, 15)

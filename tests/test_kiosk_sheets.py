"""`motcua qr-sheets`: A4 procedure sheets whose QR codes the kiosk accepts."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from kiosk_support import OUTPUT, ROOT
from PIL import Image

from kiosk.qrdecode import QrDecoder
from kiosk.qrpayload import parse_scan
from kiosk.sheets import main, render_sheets, sheet_url
from motcua.cli import main as motcua_main

HALL = ROOT / "examples" / "ward-hall" / "hall.toml"
CATALOGUE = ROOT / "examples" / "ward-hall" / "procedures.toml"


def decode_sheet(path: Path) -> list[bytes]:
    return QrDecoder().decode(np.array(Image.open(path).convert("L")), thorough=True)


def test_png_sheets_are_a4_and_their_qr_opens_the_procedure_on_the_kiosk(tmp_path: Path, procedures):
    out = tmp_path / "sheets"
    assert (
        main(
            [
                "--catalogue",
                str(CATALOGUE),
                "--out",
                str(out),
                "--format",
                "png",
                "--code",
                "1.001193",
                "--code",
                "1.012812",
            ]
        )
        == 0
    )
    files = sorted(out.glob("*.png"))
    assert [f.name for f in files] == ["1.001193.png", "1.012812.png"]
    codes = {p.code for p in procedures}
    for path in files:
        image = Image.open(path)
        assert image.size == (1240, 1754)  # A4 at 150 dpi
        found = decode_sheet(path)
        assert len(found) == 1
        result = parse_scan(found[0], known_codes=codes)
        assert result.accepted and result.code == path.stem
    OUTPUT.mkdir(parents=True, exist_ok=True)
    Image.open(files[0]).save(OUTPUT / "sheet-1.001193.png")


def test_a_procedure_without_an_online_link_gets_the_portal_search_link(procedures):
    offline = next(p for p in procedures if p.online_url is None)
    assert sheet_url(offline) == f"https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh?keyword={offline.code}"
    online = next(p for p in procedures if p.online_url)
    assert sheet_url(online) == online.online_url
    with pytest.raises(ValueError):
        sheet_url(offline, "https://evil.example/?q={code}")


def test_the_hall_pdf_has_a_page_per_procedure(tmp_path: Path):
    out = tmp_path / "pdf"
    assert (
        motcua_main(
            [
                "qr-sheets",
                "--hall",
                str(HALL),
                "--out",
                str(out),
                "--code",
                "1.001193",
                "--code",
                "1.000894",
                "--code",
                "2.000635",
            ]
        )
        == 0
    )
    pdf = (out / "thu-tuc.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 3


def test_a_very_long_procedure_continues_on_more_pages(procedures):
    long = procedures[0].model_copy(
        update={"documents": [f"Giấy tờ số {i}: " + "bản sao có chứng thực " * 12 for i in range(30)]}
    )
    pages = render_sheets(long, hall_name="UBND phường Hòa Bình", dpi=100)
    assert len(pages) > 1
    assert all(page.size == (827, 1169) for page in pages)


def test_bad_arguments_are_refused(tmp_path: Path, capsys):
    assert main(["--catalogue", str(CATALOGUE), "--out", str(tmp_path), "--code", "9.999999"]) == 2
    assert "unknown procedure code" in capsys.readouterr().err
    assert main(["--catalogue", str(CATALOGUE), "--out", str(tmp_path), "--url-template", "http://x/{code}"]) == 2
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path)])

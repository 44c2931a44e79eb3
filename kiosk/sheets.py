"""`motcua qr-sheets`: printable A4 sheets, one per procedure, with the QR code the kiosk scans.

    motcua qr-sheets --hall hall.toml --out sheets/                 # every procedure of the hall, one PDF
    motcua qr-sheets --catalogue procedures.toml --out sheets/ --format png

Each sheet shows the procedure's name, code, field, documents, forms, time limit, fee, agency and result, and a
QR code holding the portal link with the code (the procedure's own ``online_url`` when it carries the code,
otherwise the national portal's search link). Every QR payload is checked with the kiosk's own parser before it
is printed: a sheet on the wall is always one the kiosk accepts.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw

from kiosk.layout import Block, paginate
from kiosk.qrpayload import DEFAULT_PORTAL_HOSTS, parse_scan
from kiosk.ticket import PillowMetrics, qr_image
from motcua.config import load_toml, validate_config
from motcua.contract import Procedure
from motcua.errors import ConfigError
from motcua.hall import CatalogueFile, load_hall, load_procedures
from motcua.text import nfc, wrap

logger = logging.getLogger(__name__)

PORTAL_SEARCH = "https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh?keyword={code}"
A4_MM = (210, 297)
ONLINE = {"full": "Dịch vụ công trực tuyến toàn trình", "partial": "Dịch vụ công trực tuyến một phần", "none": ""}


def sheet_url(procedure: Procedure, template: str = PORTAL_SEARCH) -> str:
    """What the sheet's QR code holds: the procedure's portal link if it carries its code, else the template."""
    for candidate in (procedure.online_url, template.format(code=procedure.code)):
        if candidate and parse_scan(candidate, known_codes={procedure.code}).accepted:
            return candidate
    raise ValueError(f"{procedure.code}: no portal link the kiosk would accept (template {template!r})")


def render_sheets(
    procedure: Procedure, *, hall_name: str | None = None, dpi: int = 150, url_template: str = PORTAL_SEARCH
) -> list[Image.Image]:
    """The A4 page(s) of one procedure (a second page only when the documents list is very long)."""
    width, height = (round(mm / 25.4 * dpi) for mm in A4_MM)
    unit = dpi / 150  # sizes below are designed at 150 dpi
    margin = round(70 * unit)
    regular, bold = PillowMetrics(), PillowMetrics(bold=True)
    inner = width - 2 * margin
    url = sheet_url(procedure, url_template)
    code = qr_image(url, scale=max(4, round(6 * unit)), border=2)
    qr_side = code.width

    blocks = [Block("Thành phần hồ sơ", "heading")] + [Block(nfc(d), "bullet") for d in procedure.documents]
    if procedure.forms:
        blocks += [Block("Biểu mẫu, tờ khai", "heading")] + [Block(nfc(f), "bullet") for f in procedure.forms]
    blocks += [Block("Thời hạn giải quyết", "heading"), Block(nfc(procedure.time_limit))]
    blocks += [Block("Phí, lệ phí", "heading"), Block(nfc(procedure.fee))]
    blocks += [Block("Cơ quan thực hiện", "heading"), Block(nfc(procedure.agency))]
    if procedure.result:
        blocks += [Block("Kết quả", "heading"), Block(nfc(procedure.result))]

    pages: list[Image.Image] = []
    header_bottom = 0
    body_size = round(22 * unit)
    laid_out: list[list] = []  # type: ignore[type-arg]
    for size in (round(s * unit) for s in (22, 20, 18, 17, 16)):
        body_size = size
        page = Image.new("L", (width, height), 255)
        header_bottom = _header(page, procedure, hall_name, url, code, margin, inner, qr_side, unit, regular, bold)
        room = height - header_bottom - round(90 * unit)
        laid_out = paginate(
            blocks,
            inner,
            room,
            regular,
            size=size,
            heading_size=round(size * 1.15),
            bullet_indent=round(28 * unit),
            gap=round(10 * unit),
        )
        if len(laid_out) == 1:
            break
    for number, lines in enumerate(laid_out):
        if number == 0:
            page = Image.new("L", (width, height), 255)
            top = _header(page, procedure, hall_name, url, code, margin, inner, qr_side, unit, regular, bold)
        else:
            page = Image.new("L", (width, height), 255)
            draw = ImageDraw.Draw(page)
            title = f"{procedure.code} — {nfc(procedure.name)} (tiếp theo)"
            draw.text((margin, margin), title, font=bold.font(round(22 * unit)), fill=0)
            top = margin + round(60 * unit)
        draw = ImageDraw.Draw(page)
        for line in lines:
            is_heading = line.kind == "heading"
            size = round(body_size * 1.15) if is_heading else body_size
            metrics = bold if is_heading else regular
            draw.text((margin + line.indent, top + line.y), line.text, font=metrics.font(size), fill=0)
            if line.kind == "bullet" and line.first:
                draw.text((margin + round(6 * unit), top + line.y), "•", font=regular.font(size), fill=0)
        footer = (
            f"Quét mã QR tại máy lấy số thứ tự để xem hướng dẫn và lấy số  ·  Mã thủ tục {procedure.code}"
            f"  ·  Trang {number + 1}/{len(laid_out)}  ·  In ngày {date.today():%d/%m/%Y}"
        )
        footer_font = regular.font(round(15 * unit))
        draw.line([(margin, height - round(70 * unit)), (width - margin, height - round(70 * unit))], fill=0, width=2)
        draw.text((margin, height - round(58 * unit)), footer, font=footer_font, fill=0)
        pages.append(page)
    return pages


def _header(
    page: Image.Image,
    procedure: Procedure,
    hall_name: str | None,
    url: str,
    code: Image.Image,
    margin: int,
    inner: int,
    qr_side: int,
    unit: float,
    regular: PillowMetrics,
    bold: PillowMetrics,
) -> int:
    """Hall name, title, code and the QR; returns where the body starts."""
    draw = ImageDraw.Draw(page)
    y = margin
    if hall_name:
        draw.text((margin, y), nfc(hall_name), font=regular.font(round(18 * unit)), fill=0)
        y += regular.line_height(round(18 * unit)) + round(6 * unit)
    draw.text((margin, y), "THỦ TỤC HÀNH CHÍNH", font=bold.font(round(20 * unit)), fill=0)
    y += bold.line_height(round(20 * unit)) + round(8 * unit)
    text_width = inner - qr_side - round(30 * unit)
    title_size = round(34 * unit)
    for size in (round(s * unit) for s in (34, 30, 26, 23)):
        title_size = size
        if len(wrap(nfc(procedure.name), text_width, size, bold)) <= 4:
            break
    qr_top = y
    for line in wrap(nfc(procedure.name), text_width, title_size, bold):
        draw.text((margin, y), line, font=bold.font(title_size), fill=0)
        y += bold.line_height(title_size)
    y += round(10 * unit)
    details = [f"Mã thủ tục: {procedure.code}", f"Lĩnh vực: {nfc(procedure.field)}"]
    if ONLINE.get(procedure.online):
        details.append(ONLINE[procedure.online])
    for detail in details:
        draw.text((margin, y), detail, font=regular.font(round(21 * unit)), fill=0)
        y += regular.line_height(round(21 * unit))
    page.paste(code, (margin + inner - qr_side, qr_top))
    caption_y = qr_top + qr_side + round(4 * unit)
    for line in wrap("Quét để xem hướng dẫn", qr_side, round(15 * unit), regular):
        w = regular.width(line, round(15 * unit))
        draw.text(
            (margin + inner - qr_side + (qr_side - w) // 2, caption_y),
            line,
            font=regular.font(round(15 * unit)),
            fill=0,
        )
        caption_y += regular.line_height(round(15 * unit))
    y = max(y, caption_y) + round(18 * unit)
    draw.line([(margin, y), (margin + inner, y)], fill=0, width=max(2, round(3 * unit)))
    return y + round(18 * unit)


def write_sheets(
    procedures: Sequence[Procedure],
    out: Path,
    *,
    fmt: str = "pdf",
    hall_name: str | None = None,
    dpi: int = 150,
    url_template: str = PORTAL_SEARCH,
) -> list[Path]:
    """Write the sheets: one multi-page PDF (``thu-tuc.pdf``) or one PNG per page (``<code>.png``)."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    all_pages: list[Image.Image] = []
    for procedure in procedures:
        pages = render_sheets(procedure, hall_name=hall_name, dpi=dpi, url_template=url_template)
        if fmt == "png":
            for index, page in enumerate(pages):
                suffix = "" if index == 0 else f"-{index + 1}"
                path = out / f"{procedure.code}{suffix}.png"
                page.save(path, dpi=(dpi, dpi))
                written.append(path)
        else:
            all_pages.extend(pages)
    if fmt == "pdf" and all_pages:
        path = out / "thu-tuc.pdf"
        first, rest = all_pages[0].convert("L"), [p.convert("L") for p in all_pages[1:]]
        first.save(
            path,
            "PDF",
            resolution=float(dpi),
            save_all=True,
            append_images=rest,
            title="Thủ tục hành chính",
            author="motcua",
        )
        written.append(path)
    return written


def _load(args: argparse.Namespace) -> tuple[list[Procedure], str | None]:
    if args.hall is not None:
        hall = load_hall(args.hall)
        procedures = load_procedures(hall)
        if not procedures:
            raise ConfigError(f"{args.hall}: the hall has no procedures file ([hall] procedures = ...)")
        return procedures, hall.hall.name
    data = load_toml(args.catalogue)
    catalogue = validate_config(data, CatalogueFile, source=str(args.catalogue), base_dir=Path(args.catalogue).parent)
    return list(catalogue.procedures), None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua qr-sheets", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--hall", type=Path, help="hall.toml (its procedures file, and the hall's name on each sheet)")
    source.add_argument("--catalogue", type=Path, help="a procedures.toml on its own")
    parser.add_argument("--out", type=Path, required=True, help="folder for the sheets")
    parser.add_argument("--format", choices=["pdf", "png"], default="pdf")
    parser.add_argument("--code", action="append", default=[], help="only this procedure code (repeatable)")
    parser.add_argument("--dpi", type=int, default=150, choices=[100, 150, 200, 300])
    parser.add_argument(
        "--url-template", default=PORTAL_SEARCH, help="portal link for procedures without one; {code} is replaced"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    procedures, hall_name = _load(args)
    if args.code:
        wanted = set(args.code)
        unknown = wanted - {p.code for p in procedures}
        if unknown:
            print(f"motcua qr-sheets: unknown procedure code(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        procedures = [p for p in procedures if p.code in wanted]
    if (
        "{code}" not in args.url_template
        or not parse_scan(args.url_template.format(code="1.000000"), portal_hosts=DEFAULT_PORTAL_HOSTS).accepted
    ):
        print("motcua qr-sheets: --url-template must be an https portal link with {code}", file=sys.stderr)
        return 2
    written = write_sheets(
        procedures, args.out, fmt=args.format, hall_name=hall_name, dpi=args.dpi, url_template=args.url_template
    )
    print(f"wrote {len(procedures)} procedure sheet(s): " + (str(written[0]) if len(written) == 1 else f"{args.out}/"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

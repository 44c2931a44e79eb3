"""Bookings in `motcua report`: a day with kept, late and missed bookings and walk-in tickets, played through the
real queue engine into a real SQLite file; the HTML page and the CSV file checked figure by figure against a hand
count, in Vietnamese and English; a day not over yet (pending, not missed); and a hall without bookings gets the
report it always had (the db-v1 fixture: no bookings file, no bookings section, the page byte for byte)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import MONDAY_MORNING
from test_migrations import REPORT_CLOCK, WARD_HALL, unpack

from coordinator.bookings import Booking
from coordinator.engine import QueueEngine
from coordinator.report.bookings import OUTCOME_KEYS
from coordinator.report.cli import main as report_main
from coordinator.report.tables import Column, Row, Table
from coordinator.store import Store
from motcua.contract import CounterAction
from motcua.hall import load_hall, load_procedures

T0 = MONDAY_MORNING  # 08:00 in the hall
DAY = T0.date().isoformat()
NEXT_MORNING = "2026-11-24T08:00:00+07:00@1"


def minutes(n: float):
    return T0 + timedelta(minutes=n)


def booking(code: str, at: float, service: str = "ho-tich") -> Booking:
    return Booking(code=code, service=service, slot_start=minutes(at), slot_end=minutes(at + 15))


def make_day(path: Path) -> None:
    """The day counted by hand below. Counter 1 serves ho-tich only; the hall's window is 60 / 15 minutes.

    bookings: K1 08:30 (checked in 08:00, early: kept), K2 08:45 (checked in 08:50, in its grace: kept),
    L1 08:10 (checked in 08:40: late, a walk-in ticket), M1 09:00 and M2 10:00 (chung-thuc) never came.
    walk-ins: W1 08:01, W2 08:05.
    calls at counter 1: 08:25 W1 (waited 24), 08:34 K1 (4 after its slot), 08:52 K2 (2 after its check-in, later
    than its slot), 08:55 W2 (50), 09:00 L1 (20, from its check-in: a walk-in's wait).
    """
    hall = load_hall(WARD_HALL)
    engine = QueueEngine(hall, load_procedures(hall))
    engine.tick(T0)
    store = Store(path)
    try:
        plan = [booking("DL-K1", 30), booking("DL-K2", 45), booking("DL-L1", 10), booking("DL-M1", 60)]
        plan.append(booking("DL-M2", 120, "chung-thuc"))
        store.import_bookings(plan, engine.business_day_of, T0)

        def check_in(code: str, at: float):
            found = store.booking(code)
            assert found is not None
            return engine.issue(minutes(at), request_id=f"r-{code}", booking=found)

        def walk_in(name: str, at: float):
            return engine.issue(minutes(at), request_id=f"r-{name}", service="ho-tich")

        def call(at: float):
            return engine.command(minutes(at), 1, CounterAction.NEXT)

        k1 = check_in("DL-K1", 0)
        w1, w2 = walk_in("W1", 1), walk_in("W2", 5)
        assert call(25) is w1
        assert call(34) is k1
        l1 = check_in("DL-L1", 40)
        k2 = check_in("DL-K2", 50)
        assert l1.booked_for is None and k1.booked_for == minutes(30) and k2.booked_for == minutes(45)
        assert call(52) is k2
        assert call(55) is w2
        assert call(60) is l1
        engine.command(minutes(70), 1, CounterAction.FINISH)
        store.save(engine.take_changes(), engine.counters, engine.business_day)
        store.commit()
    finally:
        store.close()


@pytest.fixture
def day_db(tmp_path: Path) -> Path:
    path = tmp_path / "coordinator.db"
    make_day(path)
    return path


def report(db: Path, out: Path, *args: str) -> list[Path]:
    status = report_main(["--db", str(db), "--hall", str(WARD_HALL), "--out", str(out), *args])
    assert status == 0
    return sorted(out.iterdir())


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


class Cells(HTMLParser):
    """Each bookings table of the page: {data-table: {data-key: {data-col: text}}}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.table: str | None = None
        self.key: str | None = None
        self.col: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and (a.get("data-table") or "").startswith("bookings"):
            self.table = a["data-table"]
            self.tables[self.table or ""] = {}
        elif tag == "tr" and self.table:
            self.key = a.get("data-key")
        elif tag == "td" and self.table and self.key is not None:
            self.col = a.get("data-col")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.table = None
        elif tag == "td":
            self.col = None

    def handle_data(self, data: str) -> None:
        if self.table and self.key is not None and self.col:
            row = self.tables[self.table].setdefault(self.key, {})
            row[self.col] = row.get(self.col, "") + data


# The hand count (make_day's docstring): bookings, kept, late, missed; waits in minutes.
HALL = {"bookings": "5", "kept": "2", "late": "1", "missed": "2", "pending": "0", "kept_pct": "40.0"}
HO_TICH = {"bookings": "4", "kept": "2", "late": "1", "missed": "1", "pending": "0", "kept_pct": "50.0"}
CHUNG_THUC = {"bookings": "1", "kept": "0", "late": "0", "missed": "1", "pending": "0", "kept_pct": "0.0"}
# booked: 4 and 2 min -> mean 3.0, median 3.0, p90 2 + 0.9 * 2 = 3.8
# walk-in: 24, 50 and 20 (the late booking) -> mean 31.3, median 24.0, p90 24 + 0.8 * 26 = 44.8
WAITS = {
    "booked_called": "2",
    "booked_wait_mean": "3.0",
    "booked_wait_median": "3.0",
    "booked_wait_p90": "3.8",
    "walk_in_called": "3",
    "walk_in_wait_mean": "31.3",
    "walk_in_wait_median": "24.0",
    "walk_in_wait_p90": "44.8",
}
NO_WAITS = dict.fromkeys(WAITS, "") | {"booked_called": "0", "walk_in_called": "0"}


def test_the_csv_has_the_hand_counted_bookings_and_waits(day_db: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", NEXT_MORNING)
    files = report(day_db, tmp_path / "out", "--period", "day", "--date", DAY, "--format", "csv")
    (path,) = [f for f in files if f.name.endswith("_bookings.csv")]
    assert path.name == f"phuong-hoa-binh_{DAY}_{DAY}_bookings.csv"
    header = read_csv(path)
    raw = path.read_bytes().decode("utf-8-sig").splitlines()[0]
    assert raw.startswith("Nhóm,Mã,Tên,Lịch hẹn đã nhận,Đúng giờ,Trễ (lấy số thường),Không đến")
    keys = {
        "Lịch hẹn đã nhận": "bookings",
        "Đúng giờ": "kept",
        "Trễ (lấy số thường)": "late",
        "Không đến": "missed",
        "Chưa đến (trong ngày)": "pending",
        "Tỷ lệ đúng giờ (%)": "kept_pct",
        "Có hẹn: số lượt được gọi": "booked_called",
        "Có hẹn: chờ trung bình (phút)": "booked_wait_mean",
        "Có hẹn: chờ trung vị (phút)": "booked_wait_median",
        "Có hẹn: chờ 90% không quá (phút)": "booked_wait_p90",
        "Không hẹn: số lượt được gọi": "walk_in_called",
        "Không hẹn: chờ trung bình (phút)": "walk_in_wait_mean",
        "Không hẹn: chờ trung vị (phút)": "walk_in_wait_median",
        "Không hẹn: chờ 90% không quá (phút)": "walk_in_wait_p90",
    }
    rows = {row["Mã"]: {keys[k]: v for k, v in row.items() if k in keys} for row in header}
    assert list(rows) == ["hall", "ho-tich", "chung-thuc"]
    assert rows["hall"] == HALL | WAITS
    assert rows["ho-tich"] == HO_TICH | WAITS
    assert rows["chung-thuc"] == CHUNG_THUC | NO_WAITS


@pytest.mark.slow  # two pages with their matplotlib charts (about 7 s)
def test_the_html_page_shows_the_same_figures_in_vietnamese_and_english(
    day_db: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", NEXT_MORNING)
    shown = {}
    for lang in ("vi", "en"):
        files = report(day_db, tmp_path / lang, "--period", "day", "--date", DAY, "--format", "html", "--lang", lang)
        (page,) = [f for f in files if f.suffix == ".html"]
        html = page.read_text(encoding="utf-8")
        parser = Cells()
        parser.feed(html)
        shown[lang] = parser.tables
        out = Path(__file__).resolve().parent.parent / "test-output" / "report-bookings"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"bookings-day-{lang}.html").write_text(html, encoding="utf-8")
        if lang == "vi":
            assert '<h2 data-heading="bookings">Lịch hẹn: đúng giờ / trễ / không đến</h2>' in html
            assert "Thời gian chờ: công dân có lịch hẹn và không hẹn" in html
            assert "Công dân có lịch hẹn" in html and "Công dân không hẹn" in html
            assert "từ 60 phút trước đến 15 phút sau giờ hẹn" in html
        else:
            assert '<h2 data-heading="bookings">Bookings: kept / late / missed</h2>' in html
            assert "Waits: booked and walk-in citizens" in html
            assert "60 minutes before to 15 minutes after" in html
    vi, en = shown["vi"], shown["en"]
    assert set(vi) == {"bookings_outcomes", "bookings_waits"}
    outcomes = vi["bookings_outcomes"]
    shown_outcomes = {k: v for k, v in HALL.items() if k != "pending"}  # no "not yet" column: the day is over
    assert outcomes["hall"] == {"name": "Toàn bộ phận"} | shown_outcomes | {"kept_pct": "40,0"}
    chung_thuc = {k: v for k, v in CHUNG_THUC.items() if k != "pending"}
    assert outcomes["chung-thuc"] == {"name": "Chứng thực"} | chung_thuc | {"kept_pct": "0,0"}
    waits = vi["bookings_waits"]
    assert waits["hall"] == {"name": "Toàn bộ phận"} | {k: v.replace(".", ",") for k, v in WAITS.items()}
    assert waits["chung-thuc"] == {"name": "Chứng thực"} | {k: v or "—" for k, v in NO_WAITS.items()}
    assert en["bookings_outcomes"]["hall"] == {"name": "Whole hall"} | shown_outcomes
    assert en["bookings_waits"]["ho-tich"] == {"name": "Civil status and adoption"} | WAITS


def test_a_day_not_over_counts_bookings_not_yet_checked_in_as_pending(day_db: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MOTCUA_CLOCK", "2026-11-23T09:30:00+07:00@1")
    files = report(day_db, tmp_path / "out", "--period", "day", "--date", "today", "--format", "csv")
    (path,) = [f for f in files if f.name.endswith("_bookings.csv")]
    hall = read_csv(path)[0]
    # M1 (09:00) and M2 (10:00) may still be checked in today (late: as walk-ins): not missed yet.
    assert (hall["Đúng giờ"], hall["Trễ (lấy số thường)"], hall["Không đến"], hall["Chưa đến (trong ngày)"]) == (
        "2",
        "1",
        "0",
        "2",
    )
    assert hall["Tỷ lệ đúng giờ (%)"] == "66.7"  # 2 kept of the 3 judged
    from coordinator.report.bookings import html_tables
    from coordinator.report.labels import Lang

    table = Table("bookings", "", tuple(Column(k, k, "int") for k in ("name", *OUTCOME_KEYS[1:], *WAITS)), [])
    assert [c.key for c in html_tables(table, Lang.VI)["outcomes"].columns] == [
        "name",
        "bookings",
        "kept",
        "late",
        "missed",
        "kept_pct",
    ]  # no "not yet" column without a booking pending ...
    pending = Row(("hall", 2, 2, 0, 0, 2, None, *(None for _ in WAITS)))
    shown = html_tables(Table("bookings", "", table.columns, [pending]), Lang.VI)["outcomes"]
    assert "pending" in [c.key for c in shown.columns]  # ... and one with


def test_a_period_without_bookings_has_no_bookings_section(tmp_path: Path, monkeypatch) -> None:
    hall = load_hall(WARD_HALL)
    engine = QueueEngine(hall, load_procedures(hall))
    engine.tick(T0)
    engine.issue(minutes(1), request_id="r-1", service="ho-tich")
    engine.command(minutes(5), 1, CounterAction.NEXT)
    store = Store(tmp_path / "coordinator.db")
    try:
        store.save(engine.take_changes(), engine.counters, engine.business_day)
        store.commit()
    finally:
        store.close()
    monkeypatch.setenv("MOTCUA_CLOCK", NEXT_MORNING)
    files = report(
        tmp_path / "coordinator.db", tmp_path / "out", "--period", "day", "--date", DAY, "--format", "html,csv"
    )
    assert not [f for f in files if "bookings" in f.name]
    (page,) = [f for f in files if f.suffix == ".html"]
    assert "bookings" not in page.read_text(encoding="utf-8")


@pytest.mark.slow  # a month of the sample hall, rendered twice with its charts (about 10 s)
def test_an_old_hall_without_bookings_gets_the_same_report_byte_for_byte(tmp_path: Path, monkeypatch) -> None:
    """The db-v1 fixture (written before bookings existed): no bookings file, and the page is exactly the page the
    report renders without the bookings wiring."""
    from coordinator.report import cli, render

    monkeypatch.setenv("MOTCUA_CLOCK", REPORT_CLOCK)
    db = unpack(1, tmp_path)
    files = report(db, tmp_path / "out", "--period", "month", "--date", "2026-10-01", "--format", "html,csv")
    assert [f.name for f in files if "bookings" in f.name] == []
    (page,) = [f for f in files if f.suffix == ".html"]
    html = page.read_bytes()
    assert b"bookings" not in html and "Lịch hẹn".encode() not in html

    unwired = render.render_html

    def without_bookings(*args, bookings=None, **kwargs):  # the call as it was before bookings were wired in
        assert bookings is None
        return unwired(*args, **kwargs)

    monkeypatch.setattr(cli, "render_html", without_bookings)
    before = report(db, tmp_path / "before", "--period", "month", "--date", "2026-10-01", "--format", "html")
    assert before[0].read_bytes() == html
    assert re.search(rb'data-table="queue_busy"', html)  # the page is the whole report, not an empty one

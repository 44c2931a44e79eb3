"""What the counter screen adds to the coordinator and the hall: reasons stored with a vote (migration step 6),
counted per reason per officer and service in the report (cross-checked against the database), the screen's
broker user and ACL, and `motcua check counter-screen`."""

from __future__ import annotations

import csv
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from conftest import WARD_HALL
from counter_screen_support import counter_screens_hall_file, with_counter_screens

from coordinator.migrations import LATEST, STEPS, migrate
from coordinator.report.labels import Lang, Names
from coordinator.report.metrics import Scope
from coordinator.report.period import Period
from coordinator.report.reasons import count_reasons, html_reasons_table, reasons_table, write_reasons_csv
from coordinator.store import Store, rating_from_row
from motcua.broker import acl_text, device_roles
from motcua.check import check
from motcua.contract import RatingLevel, RatingMeaning, RatingOutcome, RatingVote, Topics
from motcua.hall import HallConfig

VN = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
ROOT = Path(__file__).resolve().parent.parent


def add(
    store: Store,
    n: int,
    level: RatingLevel,
    outcome: RatingOutcome,
    officer: str,
    service: str,
    reasons: tuple[str, ...] = (),
) -> None:
    store.add_rating(
        rating_id=f"r{n}",
        counter=1,
        level=level,
        meaning=RatingMeaning(level.value),  # the default scale: each key is its meaning
        pressed_at=MONDAY + timedelta(minutes=n),
        received_at=MONDAY + timedelta(minutes=n),
        outcome=outcome,
        ticket_id=f"t{n}",
        officer=officer,
        service=service,
        device="screen-1",
        reason="test",
        reasons=reasons,
    )
    store.commit()


def test_reasons_are_stored_counted_per_officer_and_service_and_match_the_database(hall: HallConfig, tmp_path: Path):
    store = Store(tmp_path / "coordinator.db")
    U, C = RatingLevel.UNSATISFIED, RatingOutcome.COUNTED
    add(store, 1, U, C, "nguyen-thi-lan", "ho-tich", ("wait", "guidance"))
    add(store, 2, U, C, "nguyen-thi-lan", "ho-tich", ("wait",))
    add(store, 3, U, C, "tran-van-minh", "chung-thuc", ("attitude",))
    add(store, 4, U, RatingOutcome.MISUSE, "tran-van-minh", "chung-thuc", ("attitude",))  # never counted
    add(store, 5, RatingLevel.SATISFIED, C, "tran-van-minh", "chung-thuc")
    rows = [rating_from_row(r) for r in store.db.execute("SELECT * FROM ratings ORDER BY id")]
    assert rows[0].reasons == ("wait", "guidance") and rows[4].reasons == ()
    period = Period("day", date(2026, 11, 23), date(2026, 11, 23))
    counts = count_reasons(rows, hall, period)
    assert counts.rated == 3
    assert counts.by_officer == {
        ("nguyen-thi-lan", "wait"): 2,
        ("nguyen-thi-lan", "guidance"): 1,
        ("tran-van-minh", "attitude"): 1,
    }
    assert counts.by_service[("ho-tich", "wait")] == 2
    # cross-check: the same totals straight from the database
    direct: dict[str, int] = {}
    for (text,) in store.db.execute("SELECT reasons FROM ratings WHERE outcome = 'counted' AND reasons IS NOT NULL"):
        for reason in text.split(","):
            direct[reason] = direct.get(reason, 0) + 1
    assert counts.total == direct
    table = reasons_table(counts, Names(hall, Lang.VI))
    assert [c.label for c in table.columns][3:] == ["Thời gian chờ", "Thái độ phục vụ", "Hướng dẫn chưa rõ"]
    lan = next(r for r in table.rows if r.key == "nguyen-thi-lan")
    assert lan.cells == ("officer", "nguyen-thi-lan", "Nguyễn Thị Lan", 2, 0, 1)
    assert table.rows[-1].cells[3:] == (2, 1, 1)
    [path] = write_reasons_csv(rows, hall, period, Names(hall, Lang.EN), tmp_path / "out", "report")
    with path.open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["By", "Id", "Name", "Waiting time", "Staff attitude", "Unclear guidance"]
    assert lines[-1] == ["hall", "", "Total", "2", "1", "1"]
    assert (
        write_reasons_csv(
            rows,
            hall,
            Period("day", date(2026, 11, 24), date(2026, 11, 24)),
            Names(hall, Lang.EN),
            tmp_path / "out",
            "empty",
        )
        == []
    )
    store.close()


def test_the_html_reasons_table_follows_the_pages_scope(hall: HallConfig, tmp_path: Path):
    store = Store(tmp_path / "coordinator.db")
    U, C = RatingLevel.UNSATISFIED, RatingOutcome.COUNTED
    add(store, 1, U, C, "nguyen-thi-lan", "ho-tich", ("wait", "guidance"))
    add(store, 2, U, C, "tran-van-minh", "chung-thuc", ("attitude",))
    rows = [rating_from_row(r) for r in store.db.execute("SELECT * FROM ratings ORDER BY id")]
    period = Period("day", date(2026, 11, 23), date(2026, 11, 23))
    names = Names(hall, Lang.VI)
    whole = html_reasons_table(rows, hall, period, names, None)
    assert whole is not None and whole.keys == ["name", "reason_attitude", "reason_guidance", "reason_wait"]
    assert [r.group for r in whole.rows] == ["Theo cán bộ"] * 2 + ["Theo lĩnh vực"] * 2 + [None]
    lan = html_reasons_table(rows, hall, period, names, Scope("officer", "nguyen-thi-lan"))
    assert lan is not None and lan.keys == ["name", "reason_guidance", "reason_wait"]  # only her reasons
    assert html_reasons_table(rows, hall, period, names, Scope("procedure", "1.001")) is None  # no procedure known
    assert html_reasons_table(rows, hall, period, names, Scope("officer", "le-thi-hoa")) is None  # none of hers
    store.close()


def test_the_reasons_step_adds_the_column_and_keeps_older_votes_without_reasons(tmp_path: Path):
    path = tmp_path / "coordinator.db"
    db = sqlite3.connect(path, isolation_level=None)
    before = next(step.version for step in STEPS if "reasons" in step.description) - 1  # renumbered at merges
    for step in STEPS[:before]:
        step.apply(db)
    db.execute(f"PRAGMA user_version = {before}")
    db.execute(
        "INSERT INTO ratings (id, counter, level, pressed_at, received_at, outcome, ticket_id, officer, service, "
        "device, reason) VALUES ('old', 1, 'unsatisfied', '2026-11-23T02:00:00Z', '2026-11-23T02:00:01Z', "
        "'counted', 't1', 'nguyen-thi-lan', 'ho-tich', 'pad-1', 'bound')"
    )
    assert migrate(db, path) == before and before < LATEST
    db.row_factory = sqlite3.Row
    [row] = db.execute("SELECT * FROM ratings").fetchall()
    assert row["reasons"] is None and rating_from_row(row).reasons == ()
    db.close()


def test_a_vote_with_reasons_keeps_the_pads_payload_unchanged():
    pad = RatingVote(id="9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", level="satisfied", pressed_at=MONDAY)
    assert b"reasons" not in pad.to_bytes()
    tablet = RatingVote.model_validate_json(
        b'{"v":1,"id":"9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d","level":"unsatisfied",'
        b'"pressed_at":"2026-11-23T02:00:00Z","reasons":["wait"]}',
        strict=True,
    )
    assert tablet.reasons == ["wait"]


def test_the_screens_broker_user_reads_its_counters_state_and_writes_only_its_ratings(hall: HallConfig):
    topics = Topics(hall.hall.site)
    hall = with_counter_screens(hall, 1)
    assert device_roles(hall)["screen-1"] == "screen"
    acl = acl_text(hall).split("\n\n")
    [block] = [b for b in acl if "user screen-1\n" in b + "\n"]
    lines = {line for line in block.splitlines() if line.startswith("topic")}
    assert lines == {
        f"topic read {topics.counter_state(1)}",
        f"topic write {topics.rating(1)}",
        f"topic read {topics.rating_ack(1)}",
        f"topic readwrite {topics.device_status('screen-1')}",
    }


def test_motcua_check_reads_the_example_and_refuses_an_unregistered_screen(tmp_path: Path):
    config = check("counter-screen", ROOT / "examples" / "ward-hall" / "devices" / "screen-1.toml")
    assert config.mode == "tablet" and [r.id for r in config.tablet.reasons] == [
        "attitude",
        "wait",
        "guidance",
        "other",
    ]
    registered_hall = counter_screens_hall_file(WARD_HALL, tmp_path, 1)
    registered = tmp_path / "screen-1.toml"
    registered.write_text(
        f'counter = 1\nhall = "{registered_hall}"\n[device]\nid = "screen-1"\nsite = "phuong-hoa-binh"\n',
        encoding="utf-8",
    )
    assert check("counter-screen", registered).device.id == "screen-1"
    stray = tmp_path / "screen-9.toml"
    stray.write_text(
        f'counter = 1\nhall = "{registered_hall}"\n[device]\nid = "screen-9"\nsite = "phuong-hoa-binh"\n',
        encoding="utf-8",
    )
    import pytest

    with pytest.raises(Exception, match="counter_screens"):
        check("counter-screen", stray)


def test_the_ansible_template_writes_a_file_motcua_check_accepts(tmp_path: Path):
    import json

    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["comment"] = lambda text: f"# {text}"
    env.filters["to_json"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.filters["bool"] = bool
    source = (ROOT / "ansible" / "roles" / "counter_screen" / "templates" / "counter-screen.toml.j2").read_text("utf-8")
    text = env.from_string(source).render(
        ansible_managed="Ansible managed",
        motcua_counter=1,
        common_hall_file=str(counter_screens_hall_file(WARD_HALL, tmp_path, 1)),
        counter_screen_mode="tablet",
        counter_screen_outbox="/var/lib/motcua/screen-1-outbox.db",
        counter_screen_id="screen-1",
        motcua_site="phuong-hoa-binh",
        motcua_broker_host="192.168.1.10",
        motcua_mqtt_port=1883,
        common_config_dir="/etc/motcua",
        counter_screen_config_file="/etc/motcua/counter-screen.toml",
        counter_screen_mqtt_settings={},
        counter_screen_driver="kmsdrm",
        counter_screen_width=800,
        counter_screen_height=480,
        counter_screen_language="vi",
        counter_screen_screen_settings={"highlight_s": 8},
        counter_screen_tablet_settings={
            "lockout_s": 4,
            "reasons": [{"id": "wait", "vi": "Thời gian chờ", "en": "Waiting time"}],
        },
    )
    path = tmp_path / "counter-screen.toml"
    path.write_text(text, encoding="utf-8")
    config = check("counter-screen", path)
    assert (config.screen.width, config.screen.highlight_s, config.tablet.lockout_s) == (800, 8, 4)
    assert [r.vi for r in config.tablet.reasons] == ["Thời gian chờ"]

"""What the display knows and shows: boards, calls, highlight, resync, the view; its configuration and texts."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from display_support import MORNING, ROOT, make_call, sample_board

from motcua.cli import main as cli_main
from motcua.contract import CounterStatus
from motcua.errors import ConfigError
from queue_display.config import DisplayConfig, load_display_config
from queue_display.state import BLINK_PERIOD_S, HallState, ViewOptions, board_view
from queue_display.texts import clock_text, counter_name

EXAMPLE = ROOT / "examples" / "ward-hall" / "devices" / "display-1.toml"


def state_with(board=None, *, connected: bool = True, highlight_s: float = 8.0) -> HallState:  # type: ignore[no-untyped-def]
    state = HallState(highlight_s=highlight_s)
    state.apply_board(board or sample_board(), 0.0)
    state.set_connected(connected)
    return state


def test_the_first_board_shows_the_hall_without_blinking():
    state = state_with()
    assert state.head is not None and state.head.label == "1023"
    assert not state.highlighted(0.1)
    assert state.next_highlight_change(0.1) is None


def test_a_new_call_blinks_for_a_while_then_stays():
    board = sample_board()
    state = state_with(board)
    new = make_call("1024", 1, minutes_ago=-1)
    state.apply_board(board.model_copy(update={"calls": [new, *board.calls]}), 10.0)

    assert state.highlighted(10.0)
    assert not state.highlighted(10.0 + BLINK_PERIOD_S * 0.8)  # the off half of a blink
    assert state.highlighted(10.0 + BLINK_PERIOD_S * 1.1)
    assert not state.highlighted(10.0 + 8.0)
    change = state.next_highlight_change(10.0)
    assert change is not None and 10.0 < change <= 10.0 + BLINK_PERIOD_S
    assert state.next_highlight_change(19.0) is None


def test_a_call_is_shown_before_its_board_arrives():
    state = state_with()
    version = state.version
    call = make_call("1024", 1, minutes_ago=-1)

    state.apply_call(call, 5.0)

    assert state.head == call and state.highlighted(5.0)
    assert state.version > version
    assert state.board is not None
    assert next(c for c in state.board.counters if c.number == 1).serving == "1024"
    version = state.version
    state.apply_call(call, 5.1)  # again (QoS 1 redelivery): nothing changes
    assert state.version == version


def test_an_old_call_delivered_late_does_not_replace_newer_ones():
    state = state_with()
    state.apply_call(make_call("1019", 1, minutes_ago=30), 5.0)
    assert state.head is not None and state.head.label == "1023"


def test_a_call_before_any_board_waits_for_the_board():
    state = HallState()
    state.apply_call(make_call("1024", 1), 0.0)
    assert state.board is None


def test_a_recall_blinks_again_and_the_ticket_is_listed_once():
    board = sample_board()
    state = state_with(board)
    recall = make_call("1023", 3, recall=1, minutes_ago=-1)
    state.apply_board(board.model_copy(update={"calls": [recall, *board.calls]}), 20.0)
    assert state.highlighted(20.0)
    view = board_view(state, MORNING, 20.0, ViewOptions())
    assert view.current is not None and view.current.label == "1023"
    assert "1023" not in [c.label for c in view.recent]


def test_the_board_is_resent_on_reconnect_and_nothing_blinks_if_nothing_changed():
    board = sample_board()
    state = state_with(board)
    state.set_connected(False)
    state.set_connected(True)
    state.apply_board(board, 30.0)  # the retained board again, after the broker came back
    assert not state.highlighted(30.0)
    assert state.boards == 2


def test_the_view_of_a_busy_hall():
    view = board_view(state_with(), MORNING, 0.0, ViewOptions(recent_calls=4))
    assert view.current is not None
    assert (view.current.label, view.current.counter_text, view.current.service) == (
        "1023",
        "→ Quầy 3",
        "Hộ tịch – Nuôi con nuôi",
    )
    assert [(c.label, c.counter_text) for c in view.recent] == [
        ("2004", "→ Quầy 2"),
        ("1022", "→ Quầy 1"),
        ("3001", "→ Quầy 4"),
        ("4002", "→ Quầy 5"),
    ]
    assert [c.serving for c in view.counters] == ["1022", "2004", "1023", "3001", "Tạm dừng", "6001"]
    assert [(s.waiting, s.estimate) for s in view.services][:3] == [(5, "≈ 20 phút"), (3, "≈ 8 phút"), (0, "")]
    assert view.clock == "Thứ Hai, 23/11/2026 08:15"
    assert view.connected and not view.highlight


def test_closed_counters_are_hidden_and_idle_ones_show_a_dash():
    board = sample_board()
    counters = [c.model_copy(update={"status": CounterStatus.CLOSED}) if c.number == 1 else c for c in board.counters]
    counters[1] = counters[1].model_copy(update={"serving": None})
    view = board_view(state_with(board.model_copy(update={"counters": counters})), MORNING, 0.0, ViewOptions())
    assert [c.name for c in view.counters] == ["Quầy 2", "Quầy 3", "Quầy 4", "Quầy 5", "Quầy 6"]
    assert view.counters[0].serving == "—"


def test_options_title_short_names_english_and_no_estimates():
    options = ViewOptions(
        language="en",
        title="Hoa Binh Ward",
        show_estimated_wait=False,
        service_labels={"lao-dong-xa-hoi": "Labour & social"},
    )
    view = board_view(state_with(), MORNING, 0.0, options)
    assert view.title == "Hoa Binh Ward"
    assert [s.name for s in view.services][:3] == ["Civil status and adoption", "Certification", "Labour & social"]
    assert all(s.estimate == "" for s in view.services)
    assert view.labels["call_title"] == "NOW CALLING"


def test_the_managers_notice_replaces_the_configured_line_until_cleared():
    options = ViewOptions(notice="Giờ làm việc: 7:30–11:30, 13:30–17:00")
    board = sample_board().model_copy(update={"notice": "Chiều nay 14:00 tạm dừng tiếp nhận hồ sơ đất đai"})
    assert board_view(state_with(board), MORNING, 0.0, options).notice == board.notice
    cleared = sample_board().model_copy(update={"notice": None})
    assert board_view(state_with(cleared), MORNING, 0.0, options).notice == options.notice
    empty = sample_board().model_copy(update={"notice": ""})
    assert board_view(state_with(empty), MORNING, 0.0, options).notice == options.notice


def test_before_any_board_the_screen_says_what_it_waits_for():
    state = HallState()
    assert board_view(state, MORNING, 0.0, ViewOptions()).message == "Đang kết nối tới hệ thống…"
    state.set_connected(True)
    assert board_view(state, MORNING, 0.0, ViewOptions()).message == "Đang chờ dữ liệu từ hệ thống…"


@pytest.mark.parametrize(
    ("days", "vietnamese", "english"),
    [(0, "Thứ Hai", "Monday"), (3, "Thứ Năm", "Thursday"), (5, "Thứ Bảy", "Saturday"), (6, "Chủ Nhật", "Sunday")],
)
def test_the_clock_in_vietnamese_and_english(days: int, vietnamese: str, english: str):
    moment = MORNING + timedelta(days=days, seconds=7)
    date = moment.strftime("%d/%m/%Y")
    assert clock_text(moment, "vi") == f"{vietnamese}, {date} 08:15"
    assert clock_text(moment, "en") == f"{english}, {date} 08:15"
    assert clock_text(moment, "vi+en", seconds=True) == f"{vietnamese}, {date} 08:15:07"


def test_counter_names():
    assert counter_name("Quầy 3", 3, "en") == "Counter 3"
    assert counter_name("Quầy số 12", 12, "en") == "Counter 12"
    assert counter_name("Quầy Một cửa liên thông", 7, "en") == "Quầy Một cửa liên thông"
    assert counter_name("Quầy 3", 3, "vi") == "Quầy 3"


# --- configuration -------------------------------------------------------------------------------------


def test_the_example_configuration_is_valid():
    config = load_display_config(EXAMPLE)
    assert config.device.id == "display-1"
    assert config.screen.driver == "kmsdrm" and config.audio.output == "pygame"
    assert config.audio.clips == Path("/var/lib/motcua/voice")


def base(**sections: dict[str, object]) -> dict[str, object]:
    data: dict[str, object] = {"device": {"id": "display-1", "site": "phuong-hoa-binh"}}
    data.update(sections)
    return data


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"simulation": {"control_socket": "/tmp/x.sock"}}, 'needs [screen] driver = "dummy"'),
        ({"audio": {"output": "wav"}}, "needs wav_dir"),
        ({"audio": {"volum": 50}}, "did you mean 'volume'"),
        ({"audio": {"volume": 150}}, "audio.volume"),
        ({"audio": {"linh": "le"}}, "audio.linh"),
        ({"screen": {"width": 1920, "height": 0}}, "give both width and height"),
        ({"screen": {"timezone": "Asia/Hanoii"}}, "unknown time zone"),
        ({"screen": {"language": "fr"}}, "screen.language"),
    ],
)
def test_bad_configurations_are_explained(sections: dict[str, dict[str, object]], message: str):
    from motcua.config import validate_config

    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_config(base(**sections), DisplayConfig, source="display.toml")


def test_motcua_display_with_a_bad_file_says_why_and_exits_2(tmp_path: Path, capsys):
    path = tmp_path / "display.toml"
    path.write_text('[device]\nid = "display-1"\nsite = "x"\n[screen]\nwidht = 10\n', encoding="utf-8")
    root, paho = logging.getLogger(), logging.getLogger("paho")
    handlers, level, paho_level = root.handlers[:], root.level, paho.level
    try:
        assert cli_main(["display", "--config", str(path)]) == 2
    finally:  # cli.main logs to this test's captured stderr: later tests' threads must not write to it
        root.handlers[:] = handlers
        root.setLevel(level)
        paho.setLevel(paho_level)
    assert "did you mean 'width'" in capsys.readouterr().err


def test_the_big_panel_shows_the_call_being_spoken_highlighted():
    """Issue 18.8: in a burst the voice said one number while the big panel showed another."""
    state = state_with()
    spoken = state.board.calls[2]  # 1022, still being said while newer calls arrived
    state.set_speaking(spoken.id)
    view = board_view(state, MORNING, 100.0, ViewOptions())
    assert view.current is not None and view.current.label == "1022" and view.current.speaking
    assert view.highlight  # steady while it is said
    assert [r.label for r in view.recent][:2] == ["1023", "2004"]  # the newest wait their turn in the list
    state.set_speaking(None)
    view = board_view(state, MORNING, 100.0, ViewOptions())
    assert view.current.label == "1023" and not view.highlight


def test_a_recall_is_labelled_and_stays_in_the_recent_list():
    """Issue 18.9: a recall looked exactly like a new call."""
    board = sample_board()
    recall = make_call("1022", 1, recall=1)
    state = state_with(board.model_copy(update={"calls": [recall, *board.calls]}))
    view = board_view(state, MORNING, 0.0, ViewOptions())
    assert view.current.label == "1022" and view.current.recall
    assert view.labels["recall_title"] == "GỌI LẠI SỐ"
    state.apply_call(make_call("1024", 3), 1.0)
    view = board_view(state, MORNING, 1.0, ViewOptions())
    assert view.recent[0].label == "1022" and view.recent[0].counter_text == "→ Quầy 1 · gọi lại"


def test_the_board_says_when_the_coordinator_is_down_and_stops_showing_calls_after_closing():
    state = state_with()
    state.set_coordinator(False)
    view = board_view(state, MORNING, 0.0, ViewOptions())
    assert not view.connected and view.labels["disconnected"] == "⚠ Hệ thống gọi số tạm dừng"
    state.set_coordinator(True)
    assert board_view(state, MORNING, 0.0, ViewOptions()).connected
    closed = [c.model_copy(update={"status": CounterStatus.CLOSED}) for c in state.board.counters]
    state.apply_board(state.board.model_copy(update={"counters": closed}), 1.0)
    view = board_view(state, MORNING, 1.0, ViewOptions())
    assert view.current is None and view.labels["no_call"] == "Ngoài giờ làm việc"
    assert view.recent == ()
    yesterday = state_with()
    view = board_view(yesterday, MORNING + timedelta(days=1), 0.0, ViewOptions())
    assert view.current is None  # yesterday's last call is not today's


def test_the_english_board_uses_the_halls_english_name():
    board = sample_board().model_copy(update={"hall_name_en": "One-stop office of Hoa Binh ward"})
    assert board_view(state_with(board), MORNING, 0.0, ViewOptions(language="en")).title.startswith("One-stop")
    assert board_view(state_with(board), MORNING, 0.0, ViewOptions()).title.startswith("Bộ phận")

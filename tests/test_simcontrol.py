"""The control socket of simulated devices."""

from __future__ import annotations

from pathlib import Path

from motcua.simcontrol import ControlServer, send_control


def test_commands_reach_the_handler_and_replies_come_back(tmp_path: Path):
    seen: list[list[str]] = []

    def handler(words: list[str]) -> dict:
        seen.append(words)
        if words[0] == "boom":
            raise ValueError("broken button")
        return {"pressed": words[1:]}

    server = ControlServer(tmp_path / "pad.sock", handler).start()
    try:
        assert send_control(server.path, "press", "satisfied") == {"ok": True, "pressed": ["satisfied"]}
        assert send_control(server.path, "boom") == {"ok": False, "error": "broken button"}
        assert send_control(server.path, "") == {"ok": False, "error": "empty command"}
        assert send_control(server.path, "press", "/tmp/a folder/qr.png") == {
            "ok": True,
            "pressed": ["/tmp/a folder/qr.png"],
        }
    finally:
        server.stop()
    assert seen == [["press", "satisfied"], ["boom"], ["press", "/tmp/a folder/qr.png"]]
    assert not server.path.exists()

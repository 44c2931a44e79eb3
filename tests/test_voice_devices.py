"""`motcua voice --devices`: the outputs SDL sees, or, with no sound device at all (the case the troubleshooting
table sends a technician to it for), one clear line and a non-zero status instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from motcua.speech.audio import NoAudioDeviceError, audio_devices

REPO = Path(__file__).resolve().parent.parent


def voice_devices(driver: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SDL_AUDIODRIVER": driver, "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    return subprocess.run(
        [sys.executable, "-m", "motcua.cli", "voice", "--devices"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_without_a_sound_device_it_says_so_in_one_line_and_fails(tmp_path: Path):
    result = voice_devices("no-such-driver", tmp_path)  # SDL cannot open any audio output
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        "motcua voice: no sound output device found (SDL, no-such-driver: Audio target 'no-such-driver' not "
        "available); check that the speaker or the TV (HDMI audio) is connected and switched on before the Pi boots, "
        "that `aplay -l` lists a card, and that SDL_AUDIODRIVER is unset or names a working driver (alsa, "
        "pulseaudio, pipewire)"
    )


def test_with_the_dummy_driver_it_lists_what_sdl_reports(tmp_path: Path):
    result = voice_devices("dummy", tmp_path)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.splitlines()
    assert listed and all(name.strip() for name in listed)
    assert "Traceback" not in result.stderr


def test_the_seam_raises_a_motcua_error_with_sdls_reason(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    with pytest.raises(NoAudioDeviceError, match=r"SDL, no-such-driver: Audio target 'no-such-driver' not available"):
        audio_devices()
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    assert audio_devices()  # the driver works again: nothing was left half-open


def test_the_troubleshooting_tables_quote_the_real_output(tmp_path: Path):
    result = voice_devices("no-such-driver", tmp_path)
    quoted = "`no sound output device found (SDL, ...: ALSA: Couldn't open audio device ...)`"
    assert "no sound output device found (SDL, " in result.stderr and result.returncode == 1
    deploy = (REPO / "docs/deploy.md").read_text("utf-8")
    assert quoted in deploy and "exits with status 1" in deploy
    display = (REPO / "docs/display.md").read_text("utf-8")
    assert "`no sound output device found (SDL, …)` and exits with status 1" in display
    guide = (REPO / "docs/vi/huong-dan-ky-thuat.md").read_text("utf-8")
    assert "`no sound output device found (SDL, ...)`" in guide and "thoát với mã 1" in guide

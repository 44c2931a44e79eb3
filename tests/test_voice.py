"""`motcua voice` (clips generated with espeak-ng), the clip library and the audio helpers."""

from __future__ import annotations

import logging
import math
import os
import shlex
import signal
import subprocess
import sys
import unicodedata
import wave
from array import array
from pathlib import Path

import pytest

from motcua.speech import pcm
from motcua.speech.audio import ClipLibrary
from motcua.speech.segments import CHIME, Clip, Pause
from queue_display.script import INVITE, every_clip
from queue_display.voice import generate_clips, main


def tone(frequency: float, seconds: float, rate: int = pcm.SAMPLE_RATE, level: float = 0.5) -> array[int]:
    return array(
        "h", (int(level * 32767 * math.sin(2 * math.pi * frequency * i / rate)) for i in range(int(seconds * rate)))
    )


def write_wav(path: Path, frames: bytes, *, rate: int, channels: int, width: int) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(width)
        handle.setframerate(rate)
        handle.writeframes(frames)


def test_make_voices_writes_every_clip_mono_at_one_rate_trimmed_and_audible(tmp_path: Path, capsys):
    out = tmp_path / "clips"

    assert main(["--out", str(out), "--voice", "vi-vn-x-south", "--rate", "150"]) == 0

    assert "clips written" in capsys.readouterr().out
    names = {unicodedata.normalize("NFC", p.stem) for p in out.glob("*.wav")}
    assert names == set(every_clip())
    for path in out.glob("*.wav"):
        with wave.open(str(path)) as handle:
            assert (handle.getnchannels(), handle.getsampwidth(), handle.getframerate()) == (1, 2, pcm.SAMPLE_RATE)
        samples = pcm.read_wav(path)
        assert pcm.rms(samples) > 1000, path.name  # speech, not silence
        lead = samples[: pcm.SAMPLE_RATE // 10]  # trimmed: sound starts within the first 100 ms
        assert pcm.peak(lead) > 300, path.name
    phrase = pcm.duration_s(pcm.read_wav(out / f"{INVITE}.wav"))
    word = pcm.duration_s(pcm.read_wav(out / "hai.wav"))
    assert 0.8 < phrase < 4.0 and 0.1 < word < 1.0


def test_existing_clips_are_kept_so_recordings_survive_make_voices(tmp_path: Path):
    out = tmp_path / "clips"
    out.mkdir()
    recorded = pcm.to_wav_bytes(tone(440, 0.3))
    (out / "hai.wav").write_bytes(recorded)

    report = generate_clips(out, names=["hai", "ba"])

    assert (report.written, report.kept) == (["ba"], ["hai"])
    assert (out / "hai.wav").read_bytes() == recorded
    generate_clips(out, names=["hai"], force=True)
    assert (out / "hai.wav").read_bytes() != recorded


def test_list_is_the_recording_script(capsys):
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"{INVITE}.wav\t{INVITE}" in lines
    assert "e-lờ.wav\te lờ" in lines
    assert len(lines) == len(every_clip())


def test_an_unknown_voice_fails_with_a_clear_message(tmp_path: Path, capsys):
    assert main(["--out", str(tmp_path), "--voice", "xx-no-such-voice"]) == 1
    assert "espeak-ng failed" in capsys.readouterr().err


def test_without_out_the_tool_says_what_it_needs(capsys):
    assert main([]) == 2
    assert "--out" in capsys.readouterr().err


def test_recorded_clips_in_other_formats_and_mac_names_are_converted(tmp_path: Path):
    """A hall records at 44.1 kHz stereo 24-bit and copies the files from a Mac (decomposed file names)."""
    left = tone(300, 0.5, rate=44_100, level=0.3)
    frames = bytearray()
    for sample in left:
        three = (sample << 8).to_bytes(3, "little", signed=True)
        frames += three + three
    name = unicodedata.normalize("NFD", "mười")
    assert name != "mười"
    write_wav(tmp_path / f"{name}.wav", bytes(frames), rate=44_100, channels=2, width=3)
    write_wav(tmp_path / "ba.wav", bytes(128 + (s >> 8) & 0xFF for s in left), rate=44_100, channels=1, width=1)

    library = ClipLibrary.load(tmp_path, volume=1.0)

    assert set(library.clips) == {"mười", "ba", CHIME}
    assert abs(pcm.duration_s(library.clips["mười"]) - 0.5) < 0.05
    assert pcm.peak(library.clips["mười"]) == pytest.approx(0.7 * 32767, rel=0.02)  # levelled
    assert abs(pcm.duration_s(library.clips["ba"]) - 0.5) < 0.05


def test_a_broken_clip_is_left_out_and_reported(tmp_path: Path, caplog):
    (tmp_path / "ba.wav").write_bytes(b"RIFF not really a wav")
    (tmp_path / "hai.wav").write_bytes(pcm.to_wav_bytes(tone(440, 0.2)))
    (tmp_path / "bốn.wav").write_bytes(pcm.to_wav_bytes(pcm.silence(300)))
    with caplog.at_level(logging.ERROR):
        library = ClipLibrary.load(tmp_path)
        samples = library.render([Clip("hai"), Pause(100), Clip("ba"), Clip("ba")])
    assert "ba" not in library.clips and "bốn" not in library.clips
    assert "ba.wav skipped" in caplog.text and "is silent" in caplog.text
    assert caplog.text.count("'ba' is missing") == 1  # reported once, not at every call
    assert len(samples) == len(library.clips["hai"]) + pcm.SAMPLE_RATE // 10


def test_a_missing_clip_folder_still_gives_the_chime(tmp_path: Path, caplog):
    library = ClipLibrary.load(tmp_path / "nowhere")
    assert list(library.clips) == [CHIME]
    assert "does not exist" in caplog.text


def test_the_chime_rings_and_ends_silently():
    chime = pcm.chime()
    assert 1.0 < pcm.duration_s(chime) < 2.0
    assert pcm.rms(chime) > 1000
    assert chime[-1] == 0 and abs(chime[0]) < 200  # no click at either end


def test_trim_keeps_a_little_padding():
    sound = pcm.silence(500) + tone(440, 0.2) + pcm.silence(500)
    trimmed = pcm.trim_silence(sound, pad_ms=20)
    assert 0.2 < pcm.duration_s(trimmed) < 0.26
    assert pcm.trim_silence(pcm.silence(200)) == array("h")


def test_resample_keeps_the_duration():
    sound = tone(440, 1.0, rate=48_000)
    assert len(pcm.resample(sound, 48_000, pcm.SAMPLE_RATE)) == pcm.SAMPLE_RATE


def test_volume_scales_the_clips(tmp_path: Path):
    (tmp_path / "hai.wav").write_bytes(pcm.to_wav_bytes(tone(440, 0.3)))
    loud = ClipLibrary.load(tmp_path, volume=1.0)
    quiet = ClipLibrary.load(tmp_path, volume=0.5)
    for name in ("hai", CHIME):
        assert pcm.peak(quiet.clips[name]) == pytest.approx(pcm.peak(loud.clips[name]) / 2, rel=0.01)


def _motcua(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from motcua.cli import main; sys.exit(main())", *args]


def test_a_reader_that_goes_away_ends_the_listing_quietly():
    """`motcua voice --list | head -1` printed a BrokenPipeError traceback."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: every write meets EPIPE
    try:
        done = subprocess.run(_motcua("voice", "--list"), stdout=write, stderr=subprocess.PIPE, timeout=60, check=False)
    finally:
        os.close(write)
    assert done.stderr.decode() == ""
    assert done.returncode == 128 + signal.SIGPIPE
    # and through a shell pipeline, the way a technician types it
    line = " ".join(shlex.quote(part) for part in _motcua("voice", "--list"))
    shell = subprocess.run(["bash", "-c", f"{line} | head -1"], capture_output=True, text=True, timeout=60, check=False)
    assert shell.stdout == "chime.wav\t(a two-note chime)\n" and shell.stderr == ""


def test_the_listing_is_whole_when_read_to_the_end():
    done = subprocess.run(_motcua("voice", "--list"), capture_output=True, text=True, timeout=60, check=True)
    assert len(done.stdout.splitlines()) == len(every_clip()) and done.stderr == ""

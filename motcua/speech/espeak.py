"""Clips synthesised offline with espeak-ng (Vietnamese voices ``vi``, ``vi-vn-x-central``, ``vi-vn-x-south``).

Each clip is ``<text>.wav``, mono 16-bit at 22 050 Hz, silence trimmed and levelled; existing files are kept
unless ``force``: a hall's recorded clips are never overwritten. The display's announcements and the kiosk's
voice guidance both make their clips here.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from motcua.speech import pcm
from motcua.speech.segments import CHIME

VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")
DEFAULT_VOICE = "vi"
DEFAULT_RATE = 140  # words per minute; espeak-ng's own default (175) is too fast for an elderly listener


class VoiceError(RuntimeError):
    """Clips cannot be generated (espeak-ng missing or failing)."""


@dataclass
class Generated:
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def espeak_binary() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise VoiceError("espeak-ng is not installed (apt-get install espeak-ng; `make setup` installs it)")
    return found


def clip_path(directory: Path, name: str) -> Path:
    return directory / f"{unicodedata.normalize('NFC', name)}.wav"


def existing_clips(directory: Path) -> set[str]:
    """Clip names present in `directory`, NFC-normalised (a clip copied from a Mac has a decomposed name)."""
    if not directory.is_dir():
        return set()
    return {unicodedata.normalize("NFC", p.stem).lower() for p in directory.glob("*.wav")}


def synthesise(text: str, *, voice: str = DEFAULT_VOICE, rate: int = DEFAULT_RATE, pitch: int = 45) -> bytes:
    """One utterance as WAV bytes from espeak-ng."""
    binary = espeak_binary()
    with tempfile.TemporaryDirectory(prefix="motcua-voice-") as tmp:
        out = Path(tmp) / "clip.wav"
        result = subprocess.run(
            [binary, "-v", voice, "-s", str(rate), "-p", str(pitch), "-z", "-w", str(out), "--", text],
            capture_output=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0 or not out.exists():
            message = result.stderr.decode(errors="replace").strip() or f"exit status {result.returncode}"
            raise VoiceError(f"espeak-ng failed for {text!r} with voice {voice!r}: {message}")
        return out.read_bytes()


def generate_clips(
    directory: Path,
    *,
    names: Iterable[str],
    text_of: Callable[[str], str] = lambda name: name,
    voice: str = DEFAULT_VOICE,
    rate: int = DEFAULT_RATE,
    force: bool = False,
    sample_rate: int = pcm.SAMPLE_RATE,
) -> Generated:
    """Write every clip of `names` that is not in `directory` yet (all with `force`); `text_of(name)` is what the
    clip says (a clip is named by its text, but a name may need help to be read, e.g. a spelled-out letter)."""
    directory.mkdir(parents=True, exist_ok=True)
    present = existing_clips(directory)
    report = Generated()
    for name in names:
        if name in present and not force:
            report.kept.append(name)
            continue
        if name == CHIME:
            samples = pcm.chime(sample_rate)
        else:
            samples = pcm.read_wav(synthesise(text_of(name), voice=voice, rate=rate), sample_rate)
            samples = pcm.normalize(pcm.trim_silence(samples, rate=sample_rate, pad_ms=25))
            if not samples:
                raise VoiceError(f"espeak-ng produced silence for {name!r}")
        pcm.write_wav(clip_path(directory, name), samples, sample_rate)
        report.written.append(name)
    return report

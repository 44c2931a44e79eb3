"""The voice clips and the speaker, each behind a small seam.

- `ClipLibrary`: every ``<word>.wav`` of a folder, converted once to the announcer's format, trimmed, levelled
  and scaled to the configured volume; `render(script)` concatenates clips and pauses into one buffer.
- `AudioSink`: where an announcement goes. `PygameMixerSink` plays it (HDMI or the 3.5 mm jack, whatever SDL's
  default or the configured device is); `WavFileSink` writes what would be played (tests, the demo);
  `NullSink` for a display without a speaker. `play()` returns when the sound has finished: the announcer
  plays one announcement at a time, so none is ever cut off.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
import unicodedata
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from motcua.errors import MotcuaError
from motcua.speech import pcm
from motcua.speech.segments import CHIME, Clip, Pause, Segment

logger = logging.getLogger(__name__)

#: Peak levels (of full scale) the clips are brought to before the volume: the chime a little under the voice.
VOICE_LEVEL = 0.7
CHIME_LEVEL = 0.5


class ClipLibrary:
    """The voice clips of one folder, ready to concatenate."""

    def __init__(self, clips: dict[str, array[int]], *, rate: int = pcm.SAMPLE_RATE, source: Path | None = None):
        self.clips = clips
        self.rate = rate
        self.source = source
        self._reported: set[str] = set()

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        rate: int = pcm.SAMPLE_RATE,
        volume: float = 1.0,
        normalize: bool = True,
        trim: bool = True,
    ) -> ClipLibrary:
        """Load every ``*.wav`` of `directory` (names NFC-normalised: a Mac writes them decomposed).

        A clip that cannot be read is logged and left out; the synthesised chime stands in for a missing
        ``chime.wav``."""
        clips: dict[str, array[int]] = {}
        if directory.is_dir():
            for path in sorted(directory.glob("*.wav")):
                name = unicodedata.normalize("NFC", path.stem).lower()
                try:
                    samples = pcm.read_wav(path, rate)
                except (pcm.WavError, OSError) as exc:
                    logger.error("voice clip %s skipped: %s", path, exc)
                    continue
                if trim:
                    samples = pcm.trim_silence(samples, rate=rate)
                if not samples:
                    logger.error("voice clip %s is silent; skipped", path)
                    continue
                clips[name] = samples
        else:
            logger.error("voice clip folder %s does not exist", directory)
        if CHIME not in clips:
            clips[CHIME] = pcm.chime(rate)
        for name, samples in clips.items():
            if normalize:
                clips[name] = pcm.normalize(samples, CHIME_LEVEL if name == CHIME else VOICE_LEVEL, volume=volume)
            elif volume != 1.0:
                clips[name] = pcm.scale(samples, volume)
        return cls(clips, rate=rate, source=directory)

    @classmethod
    def chime_only(cls, rate: int = pcm.SAMPLE_RATE) -> ClipLibrary:
        """No voice: the chime alone still tells the hall that a number was called."""
        return cls({CHIME: pcm.normalize(pcm.chime(rate), CHIME_LEVEL)}, rate=rate)

    def missing(self, names: list[str]) -> list[str]:
        return [name for name in dict.fromkeys(names) if name not in self.clips]

    def render(self, script: list[Segment]) -> array[int]:
        """One buffer for the whole announcement. A missing clip is left out (and logged once)."""
        out = array("h")
        for segment in script:
            if isinstance(segment, Pause):
                out.extend(pcm.silence(segment.ms, self.rate))
            elif isinstance(segment, Clip):
                samples = self.clips.get(segment.name)
                if samples is None:
                    if segment.name not in self._reported:
                        self._reported.add(segment.name)
                        logger.error("voice clip %r is missing from %s (run `motcua voice`)", segment.name, self.source)
                    continue
                out.extend(samples)
        return out

    def expected_length(self, script: list[Segment]) -> int:
        """Samples `render(script)` produces."""
        total = 0
        for segment in script:
            if isinstance(segment, Pause):
                total += self.rate * segment.ms // 1000
            elif segment.name in self.clips:
                total += len(self.clips[segment.name])
        return total


class AudioSink(Protocol):
    """Where announcements are played. `play` blocks until the sound has finished (or `close` interrupts it)."""

    rate: int

    def play(self, samples: array[int], name: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Played:
    """One announcement as a sink received it (tests and the demo check order and completeness)."""

    name: str
    samples: int
    started: float  # time.monotonic()
    ended: float
    path: Path | None = None


@dataclass
class _History:
    played: list[Played] = field(default_factory=list)
    overlaps: int = 0  # play() entered while another play() was running: must stay 0


class NullSink:
    """No speaker (``[audio] output = "none"``, e.g. a second TV, or a speaker that could not be opened): nothing is
    played. The announcer says so once at start, and nothing at each call."""

    def __init__(self, rate: int = pcm.SAMPLE_RATE, *, reason: str = '[audio] output = "none"') -> None:
        self.rate = rate
        self.reason = reason

    def play(self, samples: array[int], name: str) -> None:
        logger.debug("no audio output: %s (%.1f s) not played", name, len(samples) / self.rate)

    def close(self) -> None:
        pass


class WavFileSink:
    """Writes each announcement to ``<directory>/<nnnn>-<name>.wav``. With `realtime`, `play` also takes as long
    as the sound (the demo then queues calls exactly as a speaker would)."""

    def __init__(self, directory: Path, *, rate: int = pcm.SAMPLE_RATE, realtime: bool = False) -> None:
        self.directory = directory
        self.rate = rate
        self.realtime = realtime
        self.history = _History()
        self._busy = threading.Lock()
        self._closed = threading.Event()
        directory.mkdir(parents=True, exist_ok=True)
        self._count = len(list(directory.glob("*.wav")))

    def play(self, samples: array[int], name: str) -> None:
        if not self._busy.acquire(blocking=False):
            self.history.overlaps += 1
            self._busy.acquire()
        try:
            started = time.monotonic()
            self._count += 1
            path = self.directory / f"{self._count:04d}-{_safe(name)}.wav"
            pcm.write_wav(path, samples, self.rate)
            if self.realtime:
                self._closed.wait(max(0.0, len(samples) / self.rate - (time.monotonic() - started)))
            self.history.played.append(Played(name, len(samples), started, time.monotonic(), path))
        finally:
            self._busy.release()

    def close(self) -> None:
        self._closed.set()


class PygameMixerSink:
    """Plays through SDL (pygame-ce's mixer) on the default audio device or the configured one.

    The mixer is opened in exactly our format (22 050 Hz, 16 bit, mono; ``allowedchanges=0`` makes SDL convert to
    whatever the HDMI or analogue output needs), so a buffer goes to it as is. One reserved channel plays one
    announcement at a time; `play` waits for it to finish."""

    def __init__(self, *, rate: int = pcm.SAMPLE_RATE, device: str | None = None, buffer: int = 1024) -> None:
        import pygame

        self.rate = rate
        self._pygame = pygame
        self.history = _History()
        self._closed = threading.Event()
        self._busy = threading.Lock()
        if pygame.mixer.get_init():
            pygame.mixer.quit()
        pygame.mixer.init(frequency=rate, size=-16, channels=1, buffer=buffer, devicename=device, allowedchanges=0)
        got = pygame.mixer.get_init()
        self._exact = got is not None and tuple(got[:3]) == (rate, -16, 1)
        pygame.mixer.set_reserved(1)
        self._channel = pygame.mixer.Channel(0)
        logger.info("audio output: %s (mixer %s)", device or "default device", got)

    def play(self, samples: array[int], name: str) -> None:
        pygame = self._pygame
        if not self._busy.acquire(blocking=False):
            self.history.overlaps += 1
            self._busy.acquire()
        try:
            if self._closed.is_set():
                return
            if self._exact:
                sound = pygame.mixer.Sound(buffer=samples.tobytes())  # native order: AUDIO_S16SYS
            else:  # the mixer took another format: let SDL_mixer convert a WAV image
                sound = pygame.mixer.Sound(file=io.BytesIO(pcm.to_wav_bytes(samples, self.rate)))
            started = time.monotonic()
            self._channel.play(sound)
            # Sleep through the sound, then poll briefly for the tail still in SDL's buffer.
            self._closed.wait(sound.get_length())
            deadline = time.monotonic() + 2.0
            while self._channel.get_busy() and not self._closed.is_set() and time.monotonic() < deadline:
                self._closed.wait(0.02)
            self.history.played.append(Played(name, len(samples), started, time.monotonic()))
        finally:
            self._busy.release()

    def close(self) -> None:
        self._closed.set()
        try:
            self._channel.stop()
            self._pygame.mixer.quit()
        except self._pygame.error:
            pass


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60] or "sound"


class NoAudioDeviceError(MotcuaError, RuntimeError):
    """SDL finds no sound output (no card, no HDMI audio, a wrong ``SDL_AUDIODRIVER``): nothing can be heard."""


def no_audio_device_message(reason: str) -> str:
    """The line a technician reads when SDL finds no sound output; `reason` is SDL's own words."""
    driver = os.environ.get("SDL_AUDIODRIVER") or "the default driver"
    return (
        f"no sound output device found (SDL, {driver}: {reason.strip() or 'no device listed'}); check that the "
        "speaker or the TV (HDMI audio) is connected and switched on before the Pi boots, that `aplay -l` lists a "
        "card, and that SDL_AUDIODRIVER is unset or names a working driver (alsa, pulseaudio, pipewire)"
    )


def audio_devices() -> list[str]:
    """Names of SDL's audio output devices (for ``[audio] device``).

    Raises `NoAudioDeviceError` (with SDL's reason) when SDL cannot open its audio at all or lists no output: the
    very case `motcua voice --devices` is run for, so it must be a message, not a traceback."""
    try:
        import pygame
        from pygame._sdl2 import audio as sdl2_audio
    except ImportError as exc:  # a counter Pi: no display or kiosk extra
        raise NoAudioDeviceError(no_audio_device_message(f"pygame is not installed: {exc}")) from None

    was_init = pygame.mixer.get_init() is not None
    try:
        if not was_init:
            pygame.mixer.init()
        names = [str(name) for name in sdl2_audio.get_audio_device_names(False)]
    except pygame.error as exc:
        raise NoAudioDeviceError(no_audio_device_message(str(exc))) from None
    finally:
        if not was_init:
            pygame.mixer.quit()
    if not names:
        raise NoAudioDeviceError(no_audio_device_message("it lists no output device"))
    return names

"""The kiosk's voice: plays voice guidance (`kiosk.guidance`) through the speaker seam of `motcua.speech.audio`.

Runs on its own thread so the screen never waits for speech. Each clip (a sentence of the screen, or one word
of a number) is made offline with espeak-ng the first time it is needed and kept under ``state_dir/voice/`` (a
hall may put recorded clips there: a file named like the clip wins). A new screen replaces guidance not yet
started; a screen is never read twice in a row.

The speaker is chosen by config (``[voice] output``): ``speaker`` (SDL's mixer: HDMI or the headphone jack),
``wav`` (each utterance written to a WAV file: tests and the demo), ``none``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import unicodedata
from array import array
from dataclasses import dataclass
from pathlib import Path

from kiosk.guidance import Guidance
from kiosk.i18n import Lang
from motcua.speech import pcm
from motcua.speech.audio import VOICE_LEVEL, AudioSink, ClipLibrary, NullSink, PygameMixerSink, WavFileSink
from motcua.speech.espeak import VoiceError, synthesise
from motcua.speech.segments import Clip

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Said:
    """One utterance as played (tests check order and content)."""

    key: str
    sentences: tuple[str, ...]
    samples: int


class Speaker:
    """Says guidance, one utterance at a time, latest screen first."""

    def __init__(
        self,
        sink: AudioSink,
        clip_dir: Path,
        *,
        voices: dict[Lang, str] | None = None,
        rate: int = 130,
        volume: float = 1.0,
    ) -> None:
        self.sink = sink
        self.clip_dir = clip_dir
        self.voices = voices or {Lang.VI: "vi", Lang.EN: "en"}
        self.rate = rate
        self.volume = volume
        self.said: list[Said] = []
        self._clips: dict[tuple[Lang, str], array[int]] = {}
        self._pending: tuple[Guidance, Lang] | None = None
        self._last_key: str | None = None
        self._wake = threading.Condition()
        self._stopping = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="kiosk-voice", daemon=True)

    def start(self) -> Speaker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.sink.close()

    def say(self, guidance: Guidance, lang: Lang) -> None:
        """Say `guidance` next (replacing any not started yet); the screen just said is not said again."""
        with self._wake:
            if guidance.key == self._last_key:
                return
            self._last_key = guidance.key
            self._pending = (guidance, lang)
            self._wake.notify_all()

    def forget(self) -> None:
        """Guidance was switched off: drop what is pending, and say the next screen even if it was said before."""
        with self._wake:
            self._pending = None
            self._last_key = None

    def idle(self) -> bool:
        with self._wake:
            return self._pending is None and not self._busy

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                guidance, lang = self._pending  # type: ignore[misc]
                self._pending = None
                self._busy = True
            try:
                samples = self._render(guidance, lang)
                self.sink.play(samples, guidance.key.split(":")[0])
                self.said.append(Said(guidance.key, guidance.sentences, len(samples)))
            except Exception:
                logger.exception("voice guidance for %s failed", guidance.key)
            finally:
                with self._wake:
                    self._busy = False

    def _render(self, guidance: Guidance, lang: Lang) -> array[int]:
        clips: dict[str, array[int]] = {}
        for segment in guidance.script:
            if isinstance(segment, Clip) and segment.name not in clips:
                samples = self._clip(segment.name, lang)
                if samples is not None:
                    clips[segment.name] = samples
        return ClipLibrary(clips, rate=self.sink.rate).render(list(guidance.script))

    def _clip(self, text: str, lang: Lang) -> array[int] | None:
        cached = self._clips.get((lang, text))
        if cached is not None:
            return cached
        path = self.clip_path(text, lang)
        rate = self.sink.rate
        try:
            if path.exists():
                samples = pcm.read_wav(path, rate)
            else:
                samples = pcm.read_wav(synthesise(text, voice=self.voices[lang], rate=self.rate), rate)
                samples = pcm.trim_silence(samples, rate=rate, pad_ms=25)
                path.parent.mkdir(parents=True, exist_ok=True)
                pcm.write_wav(path, samples, rate)
        except (VoiceError, pcm.WavError, OSError) as exc:
            logger.error("voice clip %r (%s) unavailable: %s", text, lang.value, exc)
            return None
        samples = pcm.normalize(samples, VOICE_LEVEL, volume=self.volume)
        self._clips[(lang, text)] = samples
        return samples

    def clip_path(self, text: str, lang: Lang) -> Path:
        """``<clip_dir>/<lang>/<text>.wav`` for a short clip (a recorded one can replace it), a digest for a long
        sentence (file names are limited to 255 bytes)."""
        name = unicodedata.normalize("NFC", text)
        if len(name.encode("utf-8")) > 120:
            name = hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]
        return self.clip_dir / lang.value / f"{name}.wav"


def make_sink(output: str, *, wav_dir: Path, device: str | None = None) -> AudioSink:
    """The speaker chosen by config; a speaker that cannot be opened is logged and replaced by silence."""
    if output == "wav":
        return WavFileSink(wav_dir)
    if output == "speaker":
        try:
            return PygameMixerSink(device=device)
        except Exception as exc:  # SDL raises its own error types
            logger.error("voice guidance: the speaker cannot be opened (%s): guidance stays silent", exc)
            return NullSink(reason=f"speaker failed: {exc}")
    return NullSink()

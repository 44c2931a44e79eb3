"""Audio as plain data: mono 16-bit PCM in an ``array('h')``, read from and written to WAV. Pure Python (the
array and wave modules), so the display needs no numpy.

Clips may come from espeak-ng (22 050 Hz mono) or from a hall's own recordings (44.1 or 48 kHz, stereo, 8/16/24/32
bit): everything is converted once, when the clips are loaded, to the one format the announcer plays.
"""

from __future__ import annotations

import functools
import io
import math
import sys
import wave
from array import array
from pathlib import Path

#: The announcer's format: espeak-ng's native rate, mono, 16 bit.
SAMPLE_RATE = 22_050
FULL_SCALE = 32_767


class WavError(ValueError):
    """A WAV file cannot be used as a clip."""


def read_wav(source: Path | bytes, rate: int = SAMPLE_RATE) -> array[int]:
    """Samples of a PCM WAV file as mono 16-bit at `rate` (channels averaged, resampled if needed)."""
    try:
        with wave.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), "rb") as handle:
            channels = handle.getnchannels()
            width = handle.getsampwidth()
            source_rate = handle.getframerate()
            frames = handle.readframes(handle.getnframes())
    except (wave.Error, EOFError) as exc:
        raise WavError(f"not a PCM WAV file ({exc})") from None
    samples = _to_int16(frames, width)
    if channels > 1:
        samples = _mix_down(samples, channels)
    if source_rate != rate:
        samples = resample(samples, source_rate, rate)
    return samples


def _to_int16(frames: bytes, width: int) -> array[int]:
    if width == 2:
        out = array("h")
        out.frombytes(frames[: len(frames) // 2 * 2])
        if sys.byteorder == "big":
            out.byteswap()
        return out
    if width == 1:  # unsigned 8 bit
        return array("h", ((b - 128) << 8 for b in frames))
    if width in (3, 4):  # little-endian signed; keep the top 16 bits
        return array(
            "h",
            (
                int.from_bytes(frames[i + width - 2 : i + width], "little", signed=True)
                for i in range(0, len(frames) - width + 1, width)
            ),
        )
    raise WavError(f"unsupported sample width of {width} bytes")


def _mix_down(samples: array[int], channels: int) -> array[int]:
    count = len(samples) // channels
    return array("h", (sum(samples[i * channels : (i + 1) * channels]) // channels for i in range(count)))


def resample(samples: array[int], source_rate: int, rate: int) -> array[int]:
    """Linear interpolation; enough for speech clips converted once at load time."""
    if source_rate == rate or not samples:
        return array("h", samples)
    count = max(1, round(len(samples) * rate / source_rate))
    step = source_rate / rate
    last = len(samples) - 1
    out = array("h", bytes(2 * count))
    for i in range(count):
        position = i * step
        low = int(position)
        if low >= last:
            out[i] = samples[last]
            continue
        fraction = position - low
        out[i] = int(samples[low] + (samples[low + 1] - samples[low]) * fraction)
    return out


def to_wav_bytes(samples: array[int], rate: int = SAMPLE_RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(le_bytes(samples))
    return buffer.getvalue()


def write_wav(path: Path, samples: array[int], rate: int = SAMPLE_RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(to_wav_bytes(samples, rate))
    tmp.replace(path)


def le_bytes(samples: array[int]) -> bytes:
    """The samples as little-endian bytes, as WAV stores them."""
    if sys.byteorder == "big":
        swapped = array("h", samples)
        swapped.byteswap()
        return swapped.tobytes()
    return samples.tobytes()


def silence(ms: int, rate: int = SAMPLE_RATE) -> array[int]:
    return array("h", bytes(2 * (rate * ms // 1000)))


def trim_silence(samples: array[int], *, threshold: int = 300, pad_ms: int = 20, rate: int = SAMPLE_RATE) -> array[int]:
    """Cut the leading and trailing silence (espeak-ng adds ~100 ms each side; recordings add more), keeping
    `pad_ms` so that consonants are not clipped. `threshold` 300 is about -40 dBFS."""
    start = 0
    while start < len(samples) and abs(samples[start]) < threshold:
        start += 1
    end = len(samples)
    while end > start and abs(samples[end - 1]) < threshold:
        end -= 1
    if start >= end:
        return array("h")
    pad = rate * pad_ms // 1000
    return samples[max(0, start - pad) : min(len(samples), end + pad)]


def peak(samples: array[int]) -> int:
    if not samples:
        return 0
    return max(max(samples), -min(samples))


def rms(samples: array[int]) -> float:
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def scale(samples: array[int], gain: float) -> array[int]:
    """Multiply by `gain`, clipped to 16 bit."""
    if gain == 1.0:
        return array("h", samples)
    if peak(samples) * gain <= FULL_SCALE:  # no clipping possible: the fast path (3x)
        return array("h", [int(s * gain) for s in samples])
    return array("h", [max(-FULL_SCALE, min(FULL_SCALE, int(s * gain))) for s in samples])


def normalize(samples: array[int], target: float = 0.7, *, volume: float = 1.0) -> array[int]:
    """Scale so the loudest sample is `target` of full scale (clips recorded at different levels match), times
    `volume`, in one pass."""
    top = peak(samples)
    if top == 0:
        return array("h", samples)
    return scale(samples, target * FULL_SCALE / top * volume)


def duration_s(samples: array[int], rate: int = SAMPLE_RATE) -> float:
    return len(samples) / rate


def chime(rate: int = SAMPLE_RATE, *, level: float = 0.6) -> array[int]:
    """A two-note "ding-dong" (E5 then C5, bell-like: a few harmonics and an exponential decay), 1.3 s.

    Synthesised rather than shipped so the repository holds no binary audio; a hall may replace it with its own
    ``chime.wav``."""
    return array("h", _chime(rate, level))


@functools.lru_cache(maxsize=4)
def _chime(rate: int, level: float) -> array[int]:  # ~0.2 s of pure Python: made once
    notes = ((659.25, 0.0), (523.25, 0.55))  # frequency (Hz), start (s)
    length = int(rate * 1.3)
    mix = [0.0] * length
    partials = ((1.0, 1.0), (2.0, 0.35), (3.0, 0.12), (4.2, 0.05))  # ratio, amplitude: a soft bell
    for frequency, start in notes:
        first = int(start * rate)
        for i in range(first, length):
            t = (i - first) / rate
            envelope = math.exp(-3.2 * t) * min(1.0, t / 0.004)  # 4 ms attack: no click
            value = sum(a * math.sin(2 * math.pi * frequency * r * t) for r, a in partials)
            mix[i] += envelope * value
    top = max(abs(v) for v in mix) or 1.0
    fade = int(0.05 * rate)  # the tail ends at exactly zero
    for i in range(fade):
        mix[length - 1 - i] *= i / fade
    return array("h", (int(v / top * level * FULL_SCALE) for v in mix))

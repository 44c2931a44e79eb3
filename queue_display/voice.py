"""`motcua voice`: the Vietnamese announcement clips, generated offline with espeak-ng.

    motcua voice --out queue_display/voice/clips                 # every missing clip (make voices)
    motcua voice --out DIR --voice vi-vn-x-south --rate 130 --force
    motcua voice --list                                          # what each clip says (to record a human voice)
    motcua voice --devices                                       # the audio outputs SDL sees
    motcua voice --say 1023 3 [--config display.toml]            # speak one call through the speaker (set-up check)

Each clip is ``<text>.wav`` (``hai.wav``, ``đến quầy số.wav``), mono 16-bit at 22 050 Hz, silence trimmed and
levelled. Existing files are kept unless ``--force``: a hall's recorded clips are never overwritten.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from motcua.speech import espeak, pcm
from motcua.speech.espeak import DEFAULT_RATE, DEFAULT_VOICE, VOICES, Generated, VoiceError
from motcua.speech.segments import CHIME
from queue_display.script import clip_text, every_clip

logger = logging.getLogger(__name__)


def generate_clips(
    directory: Path,
    *,
    names: Iterable[str] | None = None,
    voice: str = DEFAULT_VOICE,
    rate: int = DEFAULT_RATE,
    force: bool = False,
    sample_rate: int = pcm.SAMPLE_RATE,
) -> Generated:
    """Write every announcement clip of `names` (default: the whole set) not in `directory` yet (all with `force`)."""
    return espeak.generate_clips(
        directory,
        names=names if names is not None else every_clip(),
        text_of=clip_text,
        voice=voice,
        rate=rate,
        force=force,
        sample_rate=sample_rate,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua voice", description="Vietnamese announcement clips (espeak-ng).")
    parser.add_argument("--out", type=Path, help="folder of the clips (created if needed)")
    parser.add_argument("--voice", default=DEFAULT_VOICE, help=f"espeak-ng voice: {', '.join(VOICES)}")
    parser.add_argument("--rate", type=int, default=DEFAULT_RATE, help="speed in words per minute (80-450)")
    parser.add_argument("--force", action="store_true", help="regenerate clips that exist (recorded ones too!)")
    parser.add_argument("--list", action="store_true", help="print each clip's file name and text, for recording")
    parser.add_argument("--devices", action="store_true", help="list the audio output devices")
    parser.add_argument("--say", nargs=2, metavar=("TICKET", "COUNTER"), help="announce one call on the speaker")
    parser.add_argument("--config", type=Path, help="with --say: the display's config (audio device, volume, clips)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # keep --devices output to the device names
    args = build_parser().parse_args(argv)
    if args.list:
        for name in every_clip():
            text = "(a two-note chime)" if name == CHIME else clip_text(name)
            print(f"{name}.wav\t{text}")
        return 0
    if args.devices:
        from motcua.speech.audio import NoAudioDeviceError, audio_devices

        try:
            names = audio_devices()
        except NoAudioDeviceError as exc:  # the case the troubleshooting table sends a technician here for
            print(f"motcua voice: {exc}", file=sys.stderr)
            return 1
        for name in names:
            print(name)
        return 0
    if args.say:
        return _say(args.say[0], args.say[1], args.config, args.out)
    if args.out is None:
        print("motcua voice: give --out DIR (or --list, --devices, --say)", file=sys.stderr)
        return 2
    if not 80 <= args.rate <= 450:
        print("motcua voice: --rate must be between 80 and 450", file=sys.stderr)
        return 2
    try:
        report = generate_clips(args.out, voice=args.voice, rate=args.rate, force=args.force)
    except VoiceError as exc:
        print(f"motcua voice: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out}: {len(report.written)} clips written, {len(report.kept)} kept (voice {args.voice})")
    return 0


def _say(ticket: str, counter_text: str, config_path: Path | None, out: Path | None) -> int:
    """Speak one call through the configured output: the technician's check of speaker, device and volume."""
    from motcua.clock import SystemClock
    from motcua.contract import Call
    from queue_display.announcer import Announcer
    from queue_display.app import build_announcer
    from queue_display.config import AudioSection, load_display_config

    audio = load_display_config(config_path).audio if config_path else AudioSection()
    if out is not None:
        audio = audio.model_copy(update={"clips": out})
    if not counter_text.isdigit():
        print("motcua voice: COUNTER must be a number", file=sys.stderr)
        return 2
    digits = "".join(ch for ch in ticket if ch.isdigit())
    announcer: Announcer = build_announcer(audio, SystemClock())
    announcer.start()
    call = Call(
        id="voice-test#0",
        ticket_id="voice-test",
        label=ticket,
        number=int(digits) if digits else 0,
        counter=int(counter_text),
        counter_name=f"Quầy {counter_text}",
        service="test",
        service_name="test",
        called_at=datetime.now(UTC),
    )
    announcer.submit(call)
    done = announcer.wait_idle(120)
    announcer.stop()
    print("announced" if done else "timed out")
    return 0 if done else 1

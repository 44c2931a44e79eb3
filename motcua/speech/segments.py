"""What is said: a script is a list of clips (each named by its text: ``hai.wav`` says "hai") and pauses."""

from __future__ import annotations

from dataclasses import dataclass

#: The clip of the two-tone chime (made, not recorded: `motcua.speech.pcm.chime`).
CHIME = "chime"


@dataclass(frozen=True)
class Clip:
    name: str


@dataclass(frozen=True)
class Pause:
    ms: int


Segment = Clip | Pause


def spoken(script: list[Segment]) -> list[str]:
    """The clips of a script in order (what a listener hears, pauses left out)."""
    return [segment.name for segment in script if isinstance(segment, Clip)]

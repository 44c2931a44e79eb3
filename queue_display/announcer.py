"""The announcer: calls queue up and are spoken in order, each call and each recall exactly once, none cut off.

One worker thread owns the speaker and plays one announcement at a time to its end; calls that arrive meanwhile
wait in a FIFO. (pygame's own ``Channel.queue`` holds a single sound: a third call in a burst would replace the
second — the cut-off announcements of other panels.) A call's id (ticket id + "#" + recall) de-duplicates QoS 1
redeliveries; a call older than ``max_age_s`` — delivered after an outage, or stuck behind a long burst — is
skipped with a log line rather than sending someone to a counter that has moved on.

Never falling behind (issue 18.8): a call is never cut, but its repetition is said only when no other call waits
(it is played as a second sound, decided after the first), and the chime is left out when calls follow each other
without a break. Five calls within 5 s are then each begun within ~20 s of being made, instead of up to 58 s.
`on_speaking` tells the board which call is being said, so the big panel shows the number the room hears.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from motcua.clock import Clock
from motcua.contract import Call
from motcua.speech.audio import AudioSink, ClipLibrary, NullSink
from motcua.speech.segments import Pause
from queue_display.script import DEFAULT_OPTIONS, ScriptOptions, call_script, clip_names, spoken_text

logger = logging.getLogger(__name__)

#: How many call ids are remembered to refuse duplicates (a day of a busy hall is ~1 000 calls).
SEEN_IDS = 5_000
#: Ids kept for `status()`.
HISTORY = 50
#: A call that starts within this long of the previous one's end follows it without a chime.
BACK_TO_BACK_S = 1.0


class Outcome(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    STALE = "stale"


@dataclass(frozen=True)
class _Item:
    call: Call
    received: float  # time.monotonic()


class Announcer:
    """Queue calls with `submit` (any thread); a worker thread speaks them through `sink`."""

    def __init__(
        self,
        library: ClipLibrary | Callable[[], ClipLibrary],
        sink: AudioSink,
        clock: Clock,
        *,
        options: ScriptOptions = DEFAULT_OPTIONS,
        max_age_s: float = 120.0,
        on_speaking: Callable[[Call | None], None] | None = None,
    ) -> None:
        # Loading (and at first start generating) the clips takes a moment: done by the worker, so the board is
        # on screen at once; calls that arrive meanwhile wait in the queue.
        self._library_source = library
        self.library: ClipLibrary | None = library if isinstance(library, ClipLibrary) else None
        self.sink = sink
        self.clock = clock
        self.options = options
        self.max_age_s = max_age_s
        self.on_speaking = on_speaking or (lambda call: None)
        self._last_end = float("-inf")  # when the last announcement ended (time.monotonic())
        self._repeats_dropped = 0
        self._queue: collections.deque[_Item] = collections.deque()
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._playing: str | None = None
        self._played = 0
        self._skipped = 0
        self._failed = 0
        self._accepted_ids: collections.deque[str] = collections.deque(maxlen=HISTORY)
        self._played_ids: collections.deque[str] = collections.deque(maxlen=HISTORY)
        self._skew_warned = False
        # Without a speaker the voice being off is said once at start: nothing is logged per call above DEBUG.
        self._silent = isinstance(sink, NullSink)
        self._per_call = logging.DEBUG if self._silent else logging.INFO

    # --- any thread -------------------------------------------------------------------------------------

    def submit(self, call: Call) -> Outcome:
        """Queue `call` unless it was already queued (same id) or is too old to announce."""
        with self._cond:
            if call.id in self._seen:
                logger.debug("call %s already announced or queued", call.id)
                return Outcome.DUPLICATE
            self._seen[call.id] = None
            while len(self._seen) > SEEN_IDS:
                self._seen.popitem(last=False)
            if self._too_old(call, "on arrival"):
                self._skipped += 1
                return Outcome.STALE
            self._queue.append(_Item(call, time.monotonic()))
            self._accepted_ids.append(call.id)
            self._cond.notify()
        logger.log(self._per_call, "call %s -> counter %d queued for announcement", call.label, call.counter)
        return Outcome.QUEUED

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {
                "played": self._played,
                "queued": len(self._queue),
                "skipped": self._skipped,
                "failed": self._failed,
                "repeats_dropped": self._repeats_dropped,
                "playing": self._playing,
                "accepted_ids": list(self._accepted_ids),
                "played_ids": list(self._played_ids),
            }

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or playing (tests, the voice tool)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._playing is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> Announcer:
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Stop at once: the sound playing is interrupted, queued calls are dropped. Safe to call twice."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self.sink.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # --- worker -----------------------------------------------------------------------------------------

    def _run(self) -> None:
        if isinstance(self.sink, NullSink):
            logger.info("voice off (%s): calls are shown, not announced", self.sink.reason)
        elif self.library is None:
            source = self._library_source
            try:
                self.library = source() if callable(source) else source
            except Exception:
                logger.exception("voice clips could not be loaded: announcing the chime only")
                self.library = ClipLibrary.chime_only()
            logger.info("%d voice clips ready", len(self.library.clips))
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                item = self._queue.popleft()
                if self._too_old(item.call, f"after {time.monotonic() - item.received:.0f} s in the queue"):
                    self._skipped += 1
                    self._cond.notify_all()
                    continue
                self._playing = item.call.id
            self._tell(item.call)
            try:
                self._announce(item.call)
                ok = True
            except Exception:
                logger.exception("announcement of %s failed", item.call.id)
                ok = False
            with self._cond:
                self._playing = None
                self._last_end = time.monotonic()
                idle = not self._queue
                if ok:
                    self._played += 1
                    self._played_ids.append(item.call.id)
                else:
                    self._failed += 1
                self._cond.notify_all()
            if idle:
                self._tell(None)
            if not ok:
                time.sleep(0.5)  # a broken audio device must not spin the CPU

    def _tell(self, call: Call | None) -> None:
        try:
            self.on_speaking(call)
        except Exception:
            logger.exception("on_speaking failed")

    def _announce(self, call: Call) -> None:
        if self._silent:
            return
        library = self.library
        assert library is not None
        back_to_back = time.monotonic() - self._last_end < BACK_TO_BACK_S
        once = replace(self.options, repeat=1, chime=self.options.chime and not back_to_back)
        script = call_script(call.label, call.number, call.counter, once)
        missing = library.missing(clip_names(script))
        if missing:
            logger.warning("announcing %s without the clips %s", call.label, ", ".join(missing))
        samples = library.render(script)
        logger.info("announcing: %s (%.1f s)", spoken_text(script), len(samples) / library.rate)
        self.sink.play(samples, call.id)
        again = replace(self.options, repeat=1, chime=False)
        for _ in range(self.options.repeat - 1):
            with self._cond:
                waiting = len(self._queue)
                if self._stopping:
                    return
            if waiting:
                self._repeats_dropped += 1
                logger.info("repetition of %s left out: %d call(s) waiting", call.label, waiting)
                return
            repetition = library.render(
                [Pause(self.options.repeat_gap_ms), *call_script(call.label, call.number, call.counter, again)]
            )
            self.sink.play(repetition, call.id)

    def _too_old(self, call: Call, when: str) -> bool:
        if self.max_age_s <= 0:
            return False
        age = (self.clock.now() - call.called_at).total_seconds() / max(self.clock.speed, 1.0)
        if age < -30 and not self._skew_warned:
            self._skew_warned = True
            logger.warning(
                "call %s is stamped %.0f s in the future: this display's clock is behind the coordinator's (check NTP)",
                call.id,
                -age,
            )
        if age > self.max_age_s:
            logger.log(
                logging.DEBUG if self._silent else logging.WARNING,
                "call %s -> counter %d made %.0f s ago, not announced %s (max_age_s = %g; if every call is skipped, "
                "check this display's clock)",
                call.label,
                call.counter,
                age,
                when,
                self.max_age_s,
            )
            return True
        return False

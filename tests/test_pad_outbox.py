"""The pad's on-disk outbox: durable, oldest first, removed only by id."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from motcua.contract import RatingLevel, RatingVote
from rating_buttons.outbox import Outbox, OutboxError

VN = timezone(timedelta(hours=7))
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=VN)


def vote(i: int, misuse: bool = False) -> RatingVote:
    return RatingVote(
        id=uuid.uuid4(), level=RatingLevel.SATISFIED, pressed_at=NOON + timedelta(seconds=i), misuse=misuse
    )


def test_outbox_keeps_votes_across_reopen_oldest_first(tmp_path: Path):
    path = tmp_path / "sub" / "outbox.db"
    votes = [vote(i, misuse=i > 0) for i in range(5)]
    box = Outbox(path)
    assert box.add(votes[:3]) == 3
    box.add(votes[3:])
    box.close()
    box.close()  # safe twice

    box = Outbox(path)
    assert len(box) == 5
    pending = box.pending(10)
    assert [vote_id for vote_id, _ in pending] == [str(v.id) for v in votes]
    assert [RatingVote.model_validate_json(p) for _, p in pending] == votes  # byte for byte what was pressed
    assert [i for i, _ in box.pending(2, exclude={str(votes[0].id)})] == [str(votes[1].id), str(votes[2].id)]
    box.close()


def test_outbox_removes_only_acknowledged_ids(tmp_path: Path):
    box = Outbox(tmp_path / "outbox.db")
    votes = [vote(i) for i in range(3)]
    box.add(votes)
    box.add(votes[:1])  # the same vote twice is stored once
    assert len(box) == 3
    assert box.remove([votes[1].id, uuid.uuid4()]) == 1
    assert box.remove([votes[1].id]) == 0  # a duplicate ack
    assert box.ids() == {str(votes[0].id), str(votes[2].id)}
    box.close()


def test_outbox_commits_with_full_sync(tmp_path: Path):
    box = Outbox(tmp_path / "outbox.db")
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: the commit waits for fsync
    box.add([vote(0)])
    # another process (a restarted pad) sees the committed vote at once
    other = sqlite3.connect(tmp_path / "outbox.db")
    assert other.execute("SELECT count(*) FROM votes").fetchone()[0] == 1
    other.close()
    box.close()


def test_outbox_unwritable_place_is_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutboxError, match="cannot open the vote outbox"):
        Outbox(blocker / "outbox.db")

"""The waiting-hall display (màn hình phòng chờ): the board on the TV and the Vietnamese voice announcements.

- `numbers`, `script`, `state`, `layout`, `texts`: pure (number reading, what is said, what is shown and where);
- `pcm`, `audio`, `announcer`: the voice clips, the speaker seam (pygame mixer / WAV files / none), the queue;
- `render`, `app`, `main`: pygame drawing, the event loop, the entry point; `voice`: the `motcua voice` tool.

docs/display.md is the operator's and technician's guide.
"""

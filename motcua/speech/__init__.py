"""Speech from pre-made clips, shared by the hall display (announcements) and the kiosk (voice guidance).

- `pcm`: 16-bit mono buffers, WAV in and out, silence, levels, the chime;
- `numbers`: Vietnamese number reading ("một nghìn không trăm hai mươi ba");
- `segments`: a script is a list of `Clip` (a clip named by its text) and `Pause`;
- `audio`: `ClipLibrary` (a folder of clips, rendered into one buffer) and the speaker seam `AudioSink`
  (`PygameMixerSink`, `WavFileSink` for tests and the demo, `NullSink`);
- `espeak`: offline synthesis of a clip with espeak-ng.
"""

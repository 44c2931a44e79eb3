"""The kiosk's touch screen: `controller` (what a touch does: pure), `painter` (drawing primitives on pygame),
`screens` (what each screen shows), `app` (the event loop and the threads around it)."""

"""The hall coordinator (one per hall): owns the queue, numbers tickets, binds ratings, logs everything.

- `coordinator.engine` — the queue engine (pure domain, no I/O)
- `coordinator.ratings` — the rating rules (pure)
- `coordinator.store` — SQLite (WAL) persistence
- `coordinator.service` — the MQTT service: payload -> command -> engine -> store -> replies
- `coordinator.main` — `motcua coordinator --config FILE`
"""

"""The province: every hall's events in one PostgreSQL database, and the province's reports.

- `province.ledger` — which sequence numbers of each hall arrived, and which are missing (pure)
- `province.schema` — the PostgreSQL tables, made and changed only by numbered migration steps
- `province.db` — writing events and the hall registry (SQL only here and in `schema`)
- `province.collector` — `motcua province`: the MQTT consumer (commit, then acknowledge)
- `province.broker` — the provincial broker's files (users, ACL) for the tests, the bench and Ansible
- `province.localdb` — a throw-away PostgreSQL cluster for the tests and the bench

docs/province.md describes how it runs; docs/protocol.md ("Province") the messages.
"""

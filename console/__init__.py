"""The hall's web console (`motcua console`): officers at their desks, managers in their office.

Another client of the MQTT contract (its own broker user), reading the coordinator's SQLite database read-only
for the waiting line and figures; its accounts and sessions live in its own SQLite file. docs/console.md.
"""

"""The hall's Mosquitto configuration: templates read by `motcua broker generate` (see README.md here)."""

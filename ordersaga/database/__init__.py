"""Database plumbing every service uses: engines, the processed-commands table, the event log."""

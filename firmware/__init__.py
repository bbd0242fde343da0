"""toastguard firmware: the board's filesystem (copied as /firmware, with /safety)."""

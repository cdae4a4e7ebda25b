"""The demo organisation and synthetic Mexican data (plain package, not a Django app)."""

"""The ground floor every app writes to: the append-only timeline (``Activity``), its kinds,
and the in-app notifications (the bell) that some entries raise. See docs.md beside this file."""

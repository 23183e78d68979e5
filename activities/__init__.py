"""Temporal activities: the saga's I/O, each a method of a class built with its clients."""

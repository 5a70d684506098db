"""Output: the units, summaries and resume state of a run, written atomically."""

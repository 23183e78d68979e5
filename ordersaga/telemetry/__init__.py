"""Operating the processes: traces (tracing.py), metrics (metrics.py) and logs (logs.py)."""

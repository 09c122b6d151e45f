"""Query: a protocol request parsed, run in threads or processes, its results written."""

"""Publish: what the site shows and offers for download, read from a store."""

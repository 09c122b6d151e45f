"""Build: the sources read, checked, reasoned over and written as one dataset."""

"""SpaceKG: the UN report A/AC.105/1294 as a linked-data knowledge graph."""

__version__ = "0.1.0"

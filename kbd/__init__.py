"""kbd: compile an Obsidian vault of clipped articles into a self-maintaining wiki."""

__version__ = "0.1.0"

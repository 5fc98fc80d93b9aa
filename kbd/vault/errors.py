"""Errors of the vault layer that front doors catch without importing the writer."""


class WriteRefused(Exception):
    """A write that would leave the wiki folder or pass through a symlink or special file."""

"""Renderers: pure functions from typed note models to markdown text. Shared by every engine."""

"""Annotator: a desktop annotation workstation for in-house teams."""

__version__ = "0.1.0"

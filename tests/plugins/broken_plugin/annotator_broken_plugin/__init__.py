"""A plugin whose entry points are broken: one fails on import of a missing name, one is not a kind."""

from annotator_broken_plugin import missing_module  # noqa: F401  (raises ImportError)

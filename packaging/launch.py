"""The frozen app's entry point: the same `annotator` command."""

from annotator.cli import main

main()

"""The frozen app's entry point: the same `annotator` command."""

from annotator.launch import main

main()

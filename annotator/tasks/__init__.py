"""Task kinds: the registry and the built-in kinds (each in its own folder)."""

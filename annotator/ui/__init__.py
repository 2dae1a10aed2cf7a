"""The PySide6 desktop app. Only this package and the kinds' widget.py modules import Qt."""

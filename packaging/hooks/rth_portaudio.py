"""Runtime hook: sounddevice finds PortAudio with ctypes.util.find_library, which on Linux
never looks inside the bundle; point it at the libportaudio.so.2 the build bundled, so playback
works on a desktop without libportaudio2."""

import ctypes.util
import os
import sys

_bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")
if sys.platform.startswith("linux") and os.path.exists(_bundled):
    _find_library = ctypes.util.find_library

    def find_library(name):
        return _bundled if name == "portaudio" else _find_library(name)

    ctypes.util.find_library = find_library

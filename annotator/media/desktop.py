"""This desktop's side of the media stores: its cache, and where it mounts each shared folder
(`annotator media map`), kept in its data folder, never in the database."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Callable

from annotator.config import cache_dir, data_dir
from annotator.media.arriving import ArrivingBytes
from annotator.media.cache import DEFAULT_CAP, MediaCache
from annotator.media.store import MediaStore, open_store

_caches: dict[Path, MediaCache] = {}
_lock = threading.Lock()


def media_cache() -> MediaCache:
    root = cache_dir() / "media"
    gigabytes = os.environ.get("ANNOTATOR_MEDIA_CACHE_GB")
    cap = int(float(gigabytes) * 1024**3) if gigabytes else DEFAULT_CAP
    with _lock:
        if root not in _caches:
            _caches[root] = MediaCache(root, cap)
        return _caches[root]


def _maps_file() -> Path:
    return data_dir() / "media-maps.json"


def folder_maps() -> dict[str, str]:
    try:
        return json.loads(_maps_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def map_folder(store_url: str, local_path: str | None) -> None:
    """Where this desktop mounts a shared folder store; None forgets it."""
    maps = folder_maps()
    if local_path is None:
        maps.pop(store_url, None)
    else:
        maps[store_url] = str(Path(local_path).expanduser().resolve())
    path = _maps_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(maps, indent=2), encoding="utf-8")
    tmp.replace(path)


_stores: dict[tuple, MediaStore] = {}
# What a store object is made from besides its URL and mapping: a change of any makes a new one.
_CONFIGURATION = ("ANNOTATOR_S3_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                  "AWS_PROFILE")


def store_for(store_url: str) -> MediaStore:
    """One store object per URL, mapping and configuration: an S3 client is costly to make and
    safe to share between threads."""
    mapping = folder_maps().get(store_url)
    key = (store_url, mapping, *(os.environ.get(name) for name in _CONFIGURATION))
    with _lock:
        if key not in _stores:
            _stores[key] = open_store(store_url, mapping)
        return _stores[key]


def local_copy(store_url: str, sha: str, watch: Callable[[ArrivingBytes], None] | None = None) -> Path:
    """The verified bytes of one object on this desktop: from the cache, or fetched into it
    (`watch`: see MediaCache.get)."""
    return media_cache().get(store_for(store_url), sha, watch)

"""A project's media store: objects keyed by the sha256 of their bytes, on a shared folder or an
S3-compatible object store (docs/adr/0012). The same bytes are stored once; what an item shows
as its name is its payload's, not the key.

Credentials for S3 come from each desktop's own configuration (the environment, ~/.aws), never
from the database. `ANNOTATOR_S3_ENDPOINT` (or AWS_ENDPOINT_URL) points boto3 at a store that is
not AWS: MinIO, Ceph, SeaweedFS, Garage."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

from annotator.errors import AnnotatorError


class StoreError(AnnotatorError):
    """The store cannot be reached or refuses us; the message names the store and the problem."""


class ObjectMissing(StoreError):
    """An object the database names is not in the store."""


class StoreUnreachable(StoreError):
    """The store does not answer (down, or the network): worth trying again later."""


class MediaStore(Protocol):
    url: str

    def where(self, sha: str) -> str: ...
    def has(self, sha: str) -> bool: ...
    def put(self, sha: str, path: Path) -> None: ...
    def fetch(self, sha: str, out: BinaryIO) -> None: ...
    def check(self) -> None: ...


def object_key(sha: str) -> str:
    # Two levels of fan-out, as git does: no folder of a shared drive holds a million files.
    return f"{sha[:2]}/{sha[2:4]}/{sha}"


class FolderStore:
    """A shared folder. Each desktop may map the project's folder to its own local path."""

    def __init__(self, url: str, local_path: str | None = None):
        self.url = url
        self.root = Path(local_path) if local_path else folder_of(url)

    def where(self, sha: str) -> str:
        return str(self.root / object_key(sha))

    def check(self) -> None:
        if not self.root.is_dir():
            raise StoreUnreachable(f"The media folder {self.root} (store {self.url}) is not there or not a folder; "
                             "map it with `annotator media map PROJECT PATH` or the log-in window's Media folders.")

    def has(self, sha: str) -> bool:
        return (self.root / object_key(sha)).is_file()

    def put(self, sha: str, path: Path) -> None:
        target = self.root / object_key(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A copy under a temporary name, then a rename: a reader never sees half an object.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def fetch(self, sha: str, out: BinaryIO) -> None:
        try:
            with open(self.root / object_key(sha), "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
        except FileNotFoundError:
            self.check()  # the whole folder is away (not mapped here): say that, not one object
            raise ObjectMissing(f"Object {sha} is missing from {self.where(sha)}.") from None
        except OSError as exc:
            raise StoreError(f"Cannot read {self.where(sha)}: {exc.strerror or exc}.") from None


class S3Store:
    """`s3://bucket/prefix` on any S3-compatible store, through boto3."""

    def __init__(self, url: str):
        parsed = urlparse(url)
        self.url = url
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        if not self.bucket:
            raise StoreError(f"{url} names no bucket; write s3://bucket/prefix.")
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            endpoint = os.environ.get("ANNOTATOR_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or None
            # Retries with backoff for a store that is briefly away; boto3's client is thread-safe.
            # No CRC check of what is read: every read is checked against its sha256 (media/cache.py),
            # and the CRC would be one more pass over every byte on the fetching thread. Uploads
            # keep theirs: the store checks it, and so refuses bytes damaged on their way in.
            config = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=5, read_timeout=30,
                            max_pool_connections=16, response_checksum_validation="when_required")
            # A session of its own: boto3's default one keeps the credentials it first found for the
            # whole process, and a store made after the configuration changed must see the change.
            self._client = boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)
        return self._client

    def key(self, sha: str) -> str:
        return f"{self.prefix}/{object_key(sha)}" if self.prefix else object_key(sha)

    def where(self, sha: str) -> str:
        return f"s3://{self.bucket}/{self.key(sha)}"

    def _error(self, exc: Exception, sha: str | None = None) -> StoreError:
        from botocore.exceptions import ClientError, NoCredentialsError

        if isinstance(exc, NoCredentialsError):
            return StoreError(f"No credentials for {self.url}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                              "or an AWS profile, on this desktop.")
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound") and sha:
                return ObjectMissing(f"Object {sha} is missing from {self.where(sha)}.")
            if code == "NoSuchBucket":
                return StoreError(f"The bucket {self.bucket!r} of {self.url} does not exist.")
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"):
                # A HEAD's refusal has no body, so no code but the status: say what it means.
                said = "403 Forbidden: a wrong key or secret, or no right to the bucket" if code == "403" else code
                return StoreError(f"{self.url} refused this desktop's credentials ({said}).")
            return StoreError(f"{self.url}: {code or exc}.")
        return StoreUnreachable(f"{self.url} cannot be reached: {exc}.")

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
                raise StoreError(f"The bucket {self.bucket!r} of {self.url} does not exist.") from None
            raise self._error(exc) from None
        except BotoCoreError as exc:
            raise self._error(exc) from None

    def has(self, sha: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._error(exc, sha) from None
        except BotoCoreError as exc:
            raise self._error(exc, sha) from None

    def put(self, sha: str, path: Path) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.upload_file(str(path), self.bucket, self.key(sha))
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, sha) from None
        except Exception as exc:  # noqa: BLE001 - boto3's transfer wraps the cause in its own error
            cause = exc.__cause__ or exc.__context__
            raise self._error(cause if cause is not None else exc, sha) from None

    def fetch(self, sha: str, out: BinaryIO) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha))["Body"]
            # Pieces of 128 KB, not more: a decoder reading the object as it arrives starts on
            # the first piece (media/arriving.py).
            for chunk in body.iter_chunks(128 << 10):
                out.write(chunk)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, sha) from None


def folder_of(url: str) -> Path:
    return Path(urlparse(url).path) if url.startswith("file://") else Path(url).expanduser()


def normalize_url(url: str) -> str:
    """What the database keeps: s3://bucket/prefix, or file:// and an absolute folder."""
    url = url.strip()
    if url.startswith("s3://"):
        return url.rstrip("/")
    if "://" in url and not url.startswith("file://"):
        raise StoreError(f"{url} is not a media store: give s3://bucket/prefix, file:///folder or a folder.")
    return folder_of(url).resolve().as_uri()


def open_store(url: str, local_path: str | None = None) -> MediaStore:
    if url.startswith("s3://"):
        return S3Store(url)
    return FolderStore(url, local_path)

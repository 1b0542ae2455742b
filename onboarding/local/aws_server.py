"""moto's server in its own process, serving the AWS APIs over HTTP on a loopback port (started through
`moto_main`, which fixes moto's stream record numbering and installs the fast paths first; `stock=True` starts
moto's own unpatched server instead, for comparing)."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from onboarding.waiting import wait_for

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class MotoServer:
    def __init__(self, log_file: Path, port: int | None = None, stock: bool = False) -> None:
        self.port = port or free_port()
        self.log_file = log_file
        self.module = "moto.server" if stock else "onboarding.local.moto_main"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout_s: float = 30) -> str:
        log = self.log_file.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "-m", self.module, "-H", LOOPBACK, "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if wait_for(self._answers, timeout_s, interval_s=0.1):
            return self.endpoint_url
        raise TimeoutError(f"moto server did not answer on {self.endpoint_url} within {timeout_s} s")

    def _answers(self) -> bool:
        assert self._process is not None  # noqa: S101 (started above)
        if self._process.poll() is not None:
            last_line = (self.log_file.read_text(errors="replace").strip().splitlines() or [""])[-1]
            raise RuntimeError(f"moto server exited ({last_line}); see {self.log_file}")
        return is_reachable(self.endpoint_url)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None


def is_reachable(endpoint_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=1) as response:  # noqa: S310 (loopback)
            return int(response.status) < 500
    except OSError:
        return False

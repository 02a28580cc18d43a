"""Servers the tests run in a second process on loopback: a free port, waiting until one listens, stopping it."""

from __future__ import annotations

import socket
import subprocess
import time


def free_loopback_port() -> int:
    """A port nothing listens on just now on 127.0.0.1 (the system's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(process: subprocess.Popen, port: int, seconds: float = 20) -> bool:
    """Whether ``process`` accepts connections on ``port`` within ``seconds`` (``False`` once it has exited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Ask ``process`` to end; kill it if it has not within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

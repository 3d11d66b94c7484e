"""Work the app starts and does not wait for (the alert check after an upload, the landing's
warm-up), run in daemon threads this module keeps track of, so that tests and the command line
can wait for them and a page can ask whether one is still running."""
from __future__ import annotations

import threading
from typing import Callable

_running: list[threading.Thread] = []
_lock = threading.Lock()


def start(name: str, work: Callable[..., object], *args) -> None:
    """Run work(*args) in a daemon thread named `name` (a server that stops drops it)."""
    thread = threading.Thread(target=work, args=args, name=name, daemon=True)
    with _lock:
        _running[:] = [t for t in _running if t.is_alive()] + [thread]
    thread.start()


def running(name: str | None = None) -> bool:
    """Whether work (named `name`, or any) is still running."""
    with _lock:
        return any(t.is_alive() and name in (None, t.name) for t in _running)


def wait(timeout: float | None = None) -> None:
    """Wait for the work started so far (tests, the command line)."""
    with _lock:
        started = list(_running)
    for thread in started:
        thread.join(timeout)

"""``cartera serve`` as a real subprocess: it answers, then stops all children on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc)."""
    found, frontier = set(), {pid}
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            for child in task.read_text().split():
                found.add(int(child))
                frontier.add(int(child))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_serve_answers_and_stops_every_child_on_sigterm(tmp_path):
    """Runs on the embedded profile (a temporary SQLite) whatever the suite's database."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env |= {"CARTERA_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "cartera.settings"}
    # Migrate first, without a deadline: on a loaded machine migrating a fresh database
    # can take minutes, and that is not what this test is about.
    subprocess.run(
        [sys.executable, "-m", "cartera.cli", "migrate", "--no-input"],
        env=env,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "cartera.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Generous: the workers still import the whole project on a loaded machine.
        status, deadline = None, time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=2
                ) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200, process.stdout.read() if process.poll() is not None else "no answer"
        children = _children(process.pid)
        assert len(children) >= 4  # gunicorn master + its worker, db_worker, scheduler
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        time.sleep(0.2)
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = process.stdout.read()
    assert f"Cartera en http://127.0.0.1:{port}/" in output
    # links in e-mails and the portal follow the address it was started on
    assert (tmp_path / "served-url").read_text().strip() == f"http://127.0.0.1:{port}"
    assert "SIGTERM" in output

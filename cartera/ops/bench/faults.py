"""``cartera bench faults``: workers killed with SIGKILL while they send, then the truth.

1. Builds a throw-away organisation (``--emails`` customers, one contact and one overdue
   invoice each) and runs the planner: one queued e-mail per customer.
2. Starts an SMTP sink in its own process that writes one line per accepted message
   (its recipient) to a file, so a second copy of a message is seen.
3. Starts a worker subprocess (``cartera bench faults --worker``) that sweeps stale claims
   and sends until nothing is due, and SIGKILLs it ``--kills`` times at random moments
   (0 to ``--max-delay`` seconds after it reported ready), restarting it each time; then
   lets a last worker finish.
4. Compares the sink with the rows: delivered, duplicates (a recipient with more than one
   copy), lost (never delivered and not ``unknown``), rows whose status disagrees with the
   sink (``sent`` but never delivered; delivered but ``queued``/``failed``/…), and the
   ``unknown`` rows split into delivered / not delivered (what the agent would resend).

Only one worker runs at a time, so every claim a new worker finds was left by a killed
one: the worker sweeps with no waiting time (``stale_after=0``) instead of the 15 minutes
a shared deployment uses. SQLite or PostgreSQL, whatever ``DATABASE_URL`` says.
"""

import argparse
import collections
import datetime as dt
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from cartera.dunning.services import run_planner
from cartera.ops.bench.dunning import _portfolio, _sending_moment
from cartera.outreach.choices import MessageStatus
from cartera.outreach.models import Message
from cartera.outreach.sending import send_due_messages, sweep_stale_claims

from .smtp_sink import serve_recording

HELP = "Exactly-once under SIGKILL: --emails M --kills N (worker subprocess, SMTP sink)"


def add_arguments(parser) -> None:
    parser.add_argument("--emails", type=int, default=300, help="queued e-mails (one per customer)")
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs of the worker")
    parser.add_argument("--max-delay", type=float, default=1.0, help="seconds before a kill")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--org", default="bench-faults", help="organisation slug")
    # the worker subprocess's own options
    parser.add_argument("--worker", action="store_true", help=argparse_suppress())
    parser.add_argument("--port", type=int, default=0, help=argparse_suppress())
    parser.add_argument("--now", default="", help=argparse_suppress())


def argparse_suppress():
    return argparse.SUPPRESS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the worker ----------------------------------------------------------------------------
def _worker(options: dict, stdout) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", options["port"]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    now = dt.datetime.fromisoformat(options["now"])
    # one worker at a time: every claim it finds is a killed worker's (claimed at ``now``)
    sweep_stale_claims(now=now + dt.timedelta(seconds=1), stale_after=dt.timedelta(0))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while send_due_messages(now=now, limit=10):
        pass


def _start_worker(options: dict, port: int, now: dt.datetime) -> subprocess.Popen:
    command = [sys.executable, "-c", "from cartera.cli import main; main()"]
    command += ["bench", "faults", "--worker", "--port", str(port), "--now", now.isoformat()]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ.copy())


# --- the run -------------------------------------------------------------------------------
def _queue(options: dict, stdout) -> tuple[object, dt.datetime]:
    as_of = dt.date(2026, 11, 23)
    organization = _portfolio(
        options["org"],
        customers=options["emails"],
        invoices=options["emails"] * 3,
        as_of=as_of,
        reuse=False,
        stdout=stdout,
    )
    run_planner(
        organization=organization,
        as_of=as_of,
        dry_run=False,
        now=dt.datetime.combine(as_of, dt.time(6, 0), tzinfo=dt.UTC),
        collect=False,
    )
    queued = Message.objects.filter(organization=organization, status=MessageStatus.QUEUED)
    return organization, _sending_moment(queued.order_by("-scheduled_for").first())


def _kill_loop(options: dict, port: int, now: dt.datetime, rng) -> tuple[int, int]:
    """Returns (kills done, kills that came after the worker had finished)."""
    kills = late = 0
    while kills < options["kills"]:
        worker = _start_worker(options, port, now)
        worker.stdout.readline()  # "ready" once Django is up and the sweep done
        time.sleep(rng.uniform(0, options["max_delay"]))
        if worker.poll() is not None:
            late += 1
            break  # everything was sent before this kill
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        kills += 1
    last = _start_worker(options, port, now)
    last.stdout.readline()
    last.wait()
    return kills, late


def _truth(organization, sink_file: Path) -> dict:
    copies = collections.Counter(
        line.strip() for line in sink_file.read_text().splitlines() if line.strip()
    )
    rows = list(Message.objects.filter(organization=organization).values_list("to", "status"))
    counts = collections.Counter()
    for to, status in rows:
        got = copies.get(",".join(to), 0)
        counts["delivered"] += got > 0
        counts["duplicates"] += max(got - 1, 0)
        if status == MessageStatus.UNKNOWN:
            counts["unknown, delivered" if got else "unknown, not delivered"] += 1
        elif got and status != MessageStatus.SENT:
            counts["status wrong (delivered, row " + status + ")"] += 1
        elif not got and status == MessageStatus.SENT:
            counts["status wrong (sent, never delivered)"] += 1
        elif not got:
            counts["lost (row " + status + ")"] += 1
    counts["messages"] = len(rows)
    return counts


def run(options: dict, stdout) -> None:
    if options["worker"]:
        return _worker(options, stdout)
    rng = random.Random(options["seed"])
    organization, now = _queue(options, stdout)
    queued = Message.objects.filter(organization=organization, status=MessageStatus.QUEUED).count()
    port = _free_port()
    sink_file = Path(tempfile.mkdtemp(prefix="cartera-faults-")) / "delivered.txt"
    sink_file.touch()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    sink = ctx.Process(target=serve_recording, args=(port, str(sink_file), ready), daemon=True)
    sink.start()
    if not ready.wait(30):
        sink.kill()
        raise SystemExit("the SMTP sink did not start")
    started = time.perf_counter()
    try:
        kills, late = _kill_loop(options, port, now, rng)
    finally:
        sink.kill()
    truth = _truth(organization, sink_file)
    wrong = sum(v for k, v in truth.items() if k.startswith(("status wrong", "lost")))
    stdout.write(
        f"faults: {queued:,} queued e-mails, {kills} SIGKILLs (max delay "
        f"{options['max_delay']} s{', stopped early: all sent' if late else ''}), "
        f"{time.perf_counter() - started:.0f} s"
    )
    for key in sorted(truth):
        stdout.write(f"  {key}: {truth[key]:,}")
    stdout.write(
        f"  => duplicates {truth['duplicates']}, lost or wrong status outside unknown {wrong}"
    )

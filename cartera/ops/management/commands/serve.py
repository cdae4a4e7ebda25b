"""``cartera serve``: migrate, collect static files, then run the web server, a task
worker and the scheduler together as child processes.

Ctrl-C / SIGTERM stops all of them (SIGTERM forwarded, then SIGKILL after a timeout).
If one child dies unexpectedly the others are stopped and serve exits non-zero.
Each child runs in its own session, so a Ctrl-C in the terminal reaches only this
process, which then stops the children in order.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cartera.lib.base_url import record_served_url, url_for

STOP_TIMEOUT = 10.0  # seconds a child gets to exit after SIGTERM before SIGKILL
DB_TASKS_BACKEND = "django_tasks_db.DatabaseBackend"


def _cartera(*args: str) -> list[str]:
    """The command line to run a ``cartera`` management command with this interpreter."""
    return [sys.executable, "-m", "cartera.cli", *args]


def use_served_address(host: str, port: int) -> str:
    """Links follow the address the server starts on unless ``CARTERA_BASE_URL`` is set:
    recorded in the data directory for the children and later commands (``cartera portal
    link``), and applied to this process. Returns the base URL links will use."""
    if not settings.BASE_URL_CONFIGURED:
        settings.BASE_URL = record_served_url(data_dir=settings.DATA_DIR, host=host, port=port)
    return settings.BASE_URL


class Command(BaseCommand):
    help = "Run Cartera: web server (gunicorn), task worker and scheduler, stopped together."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
        )
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument(
            "--workers", type=int, default=2, help="web worker processes (default 2)"
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a task worker (run it elsewhere)"
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not start the scheduler (run it elsewhere)",
        )
        parser.add_argument(
            "--skip-migrate", action="store_true", help="do not run migrations first"
        )

    def handle(self, *args, **options):
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if not options["skip_migrate"]:
            self.stdout.write("Aplicando migraciones…")
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        use_served_address(options["host"], options["port"])
        children = self._plan(options)
        code = Supervisor(children, self.stdout).run()
        if code:
            raise SystemExit(code)

    def _plan(self, options) -> dict[str, list[str]]:
        host, port = options["host"], options["port"]
        children = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "cartera.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(options["workers"]),
                "--graceful-timeout",
                "5",
                "--no-control-socket",
                "--access-logfile",
                "-",
                "--log-level",
                "info",
            ],
        }
        backend = settings.TASKS["default"]["BACKEND"]
        if not options["no_worker"]:
            if backend == DB_TASKS_BACKEND:
                children["worker"] = _cartera("db_worker", "--queue-name", "*", "--no-reload")
            else:
                self.stdout.write(
                    f"Tasks backend {backend}: start its workers separately (docs/running.md)."
                )
        if not options["no_scheduler"]:
            children["scheduler"] = _cartera("scheduler")
        address = url_for(host, port)
        self.stdout.write(self.style.SUCCESS(f"Cartera en {address}/"))
        if settings.BASE_URL != address:
            self.stdout.write(f"Enlaces en correos y portal: {settings.BASE_URL}/")
        self.stdout.write("Ctrl-C para detener.")
        return children


class Supervisor:
    """Start children, watch them, stop them all together."""

    def __init__(self, commands: dict[str, list[str]], stdout):
        self.commands = commands
        self.stdout = stdout
        self.processes: dict[str, subprocess.Popen] = {}
        self.stop_signal: int | None = None

    def _on_signal(self, signum, frame):
        self.stop_signal = signum

    def run(self) -> int:
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for name, command in self.commands.items():
                self.processes[name] = subprocess.Popen(command, start_new_session=True)
            return self._watch()
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _watch(self) -> int:
        while self.stop_signal is None:
            for name, process in self.processes.items():
                code = process.poll()
                if code is not None:
                    self.stdout.write(
                        f"{name} terminó inesperadamente (código {code}); deteniendo."
                    )
                    return code or 1
            time.sleep(0.2)
        self.stdout.write(f"Señal {signal.Signals(self.stop_signal).name} recibida; deteniendo…")
        return 0

    def stop_all(self) -> None:
        running = {n: p for n, p in self.processes.items() if p.poll() is None}
        for process in running.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in running.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stdout.write(f"{name} no se detuvo a tiempo; forzando.")
                _signal_group(process, signal.SIGKILL)
                process.wait()
        # Anything a child left behind in its session (e.g. gunicorn workers) goes too.
        for process in self.processes.values():
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass

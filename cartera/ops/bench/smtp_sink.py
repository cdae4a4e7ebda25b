"""A throw-away SMTP sink (aiosmtpd) in its own process, for ``cartera bench dunning``.

Running the sink in the benchmark's own process made it share the GIL with the sender
(and log every SMTP line), so the figure measured the sink as much as Cartera. Here it
runs in a separate process, with aiosmtpd's logging off, and counts what it received.
"""

import logging
import multiprocessing
import socket
import threading


def _serve(port: int, count, ready, stop) -> None:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def serve_recording(port: int, path: str, ready) -> None:
    """A sink process for ``cartera bench faults``: one line per accepted message (its
    recipients) appended to ``path`` as it is accepted, so copies can be counted after
    the senders were killed. Runs until the process is killed."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.CRITICAL)

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            with open(path, "a") as out:
                out.write(",".join(envelope.rcpt_tos) + "\n")
            return "250 OK"

    Controller(Sink(), hostname="127.0.0.1", port=port).start()
    ready.set()
    threading.Event().wait()


class SinkProcess:
    """``with SinkProcess() as sink:`` → ``sink.port`` while running, ``sink.count`` after."""

    def __init__(self):
        ctx = multiprocessing.get_context("spawn")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._count = ctx.Value("i", 0)
        self._ready, self._stop = ctx.Event(), ctx.Event()
        self._process = ctx.Process(
            target=_serve, args=(self.port, self._count, self._ready, self._stop), daemon=True
        )

    @property
    def count(self) -> int:
        return self._count.value

    def __enter__(self):
        self._process.start()
        if not self._ready.wait(30):
            self._process.kill()
            raise RuntimeError("the SMTP sink did not start")
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

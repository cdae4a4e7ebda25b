"""A local webhook receiver for the tests: records every request and answers with the
next status of its script (a number, or "sleep" to outlast the sender's timeout)."""

import http.server
import threading
import time
from contextlib import contextmanager


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.script: list = []
        self.sleep = 1.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self):
        return self.script.pop(0) if self.script else 204


@contextmanager
def running_receiver():
    receiver = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            receiver.requests.append({"headers": dict(self.headers.items()), "body": body})
            answer = receiver.answer()
            if answer == "sleep":
                time.sleep(receiver.sleep)
                answer = 204
            self.send_response(answer)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()

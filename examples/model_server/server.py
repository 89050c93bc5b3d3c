"""A toy model server that follows SageMaker's container contract, for the emulator to proxy to.

    python examples/model_server/server.py [serve] [--host 127.0.0.1] [--port 8080] [--model-dir /opt/ml/model]

GET /ping answers 200. POST /invocations runs a linear model, y = WEIGHT * x + BIAS, on `{"instances": [1, 2.5]}` (answering `{"predictions": [3, 6]}`; `predictions` are
read as instances too, so the server can be a step of a pipeline) or on text/csv
lines of numbers (one prediction per line). The standard library only: no ML dependency.

Its weights are the model's artifact, as SageMaker hands it over: `model.json` in the model directory (`--model-dir`,
default /opt/ml/model, where SageMaker extracts model.tar.gz), `{"weight": 3, "bias": 0.5}`. Without that file, env
MODEL_WEIGHT and MODEL_BIAS (default 2 and 1). A model.json it cannot read stops it at start-up, as an inference
script that crashes on load does.

A few requests make it misbehave on purpose, so tests can see what the emulator makes of a model's failures:
`{"fail": 418, "message": "..."}` answers that status with that text; `{"sleep": 2}` waits first; `{"stream": 3,
"interval": 0.2}` answers in 3 chunks (one JSON line each), `interval` seconds apart, and with `"break_after": 1`
drops the connection after the first; `{"size": 7000000}` answers that many bytes (`"chunked": true`: without a
length); `{"trickle": 10, "interval": 0.5}` answers 10 bytes, one each interval; `{"content_type": "..."}` answers
with that Content-Type; `{"pid": true}` answers `{"pid": <its process id>}`. With env MODEL_PING_TRICKLE=0.5, /ping answers 200 a byte each 0.5 s. Custom attributes
(X-Amzn-SageMaker-Custom-Attributes) come back as `model=toy;<what was sent>`.

It prints `listening on http://<host>:<port>` once ready (port 0 picks a free one) and stops on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEIGHT = float(os.environ.get("MODEL_WEIGHT", "2"))
BIAS = float(os.environ.get("MODEL_BIAS", "1"))
MODEL_DIR = "/opt/ml/model"
PING_TRICKLE = float(os.environ.get("MODEL_PING_TRICKLE", "0"))


def predict(x: float) -> float:
    y = WEIGHT * x + BIAS
    return int(y) if y == int(y) else y


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the emulator pools its connections
    # The head and the body in one write (wfile is flushed after each request), sent at once: with Nagle's algorithm
    # on and the head and body written apart, every answer on a kept-alive connection waited ~40 ms for a delayed ACK.
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would flood a test's output

    def do_GET(self) -> None:
        if self.path == "/ping" and PING_TRICKLE:
            self.trickle(b"healthy", PING_TRICKLE, "text/plain")
        elif self.path == "/ping":
            self.answer(200, b"", "text/plain")
        else:
            self.answer(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/invocations":
            self.answer(404, b"not found", "text/plain")
            return
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        try:
            if content_type == "text/csv":
                rows = [[float(v) for v in line.split(",")] for line in body.decode().splitlines() if line.strip()]
                out = "\n".join(str(predict(sum(row))) for row in rows).encode()
                self.answer(200, out, "text/csv")
                return
            request = json.loads(body or b"{}")
        except ValueError as exc:
            self.answer(400, f"cannot read the input: {exc}".encode(), "text/plain")
            return
        if not isinstance(request, dict):
            self.answer(400, b"the input must be a JSON object", "text/plain")
            return
        time.sleep(float(request.get("sleep", 0)))
        if "fail" in request:
            self.answer(int(request["fail"]), str(request.get("message", "failed on purpose")).encode(), "text/plain")
            return
        if "stream" in request:
            self.stream(int(request["stream"]), float(request.get("interval", 0)), request.get("break_after"))
            return
        if "size" in request:
            self.large(int(request["size"]), chunked=bool(request.get("chunked")))
            return
        if "trickle" in request:
            self.trickle(b"x" * int(request["trickle"]), float(request.get("interval", 1)), "text/plain")
            return
        if "pid" in request:  # which process answers: a test stops it to see the emulator start it again
            self.answer(200, json.dumps({"pid": os.getpid()}).encode(), "application/json")
            return
        if "content_type" in request:
            self.answer(200, b"{}", str(request["content_type"]))
            return
        # Another model's predictions are inputs too: containers of a pipeline pass their answers on.
        predictions = [predict(float(x)) for x in request.get("instances", request.get("predictions", []))]
        self.answer(200, json.dumps({"predictions": predictions}).encode(), "application/json")

    def custom_attributes(self) -> list[tuple[str, str]]:
        sent = self.headers.get("X-Amzn-SageMaker-Custom-Attributes")
        return [] if sent is None else [("X-Amzn-SageMaker-Custom-Attributes", f"model=toy;{sent}")]

    def answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in self.custom_attributes():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def large(self, size: int, *, chunked: bool) -> None:
        """`size` bytes in pieces of 64 KiB, never all in memory; stops quietly when the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding" if chunked else "Content-Length", "chunked" if chunked else str(size))
        self.end_headers()
        piece = b"x" * 65536
        try:
            while size > 0:
                part = piece[:size]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
                size -= len(part)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def trickle(self, body: bytes, interval: float, content_type: str) -> None:
        """The head, then the body a byte at a time, `interval` seconds apart."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.flush()
            for byte in body:
                time.sleep(interval)
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except OSError:
            self.close_connection = True

    def stream(self, parts: int, interval: float, break_after: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/jsonlines")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in self.custom_attributes():
            self.send_header(name, value)
        self.end_headers()
        for i in range(parts):
            if i == break_after:
                self.close_connection = True
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # no closing chunk: the answer is cut short
                return
            if i:
                time.sleep(interval)
            chunk = json.dumps({"part": i, "time": time.time()}).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def load_weights(model_dir: str) -> None:
    """The weights in <model_dir>/model.json, when there is one; raises (the server never starts) when it cannot be
    read."""
    global WEIGHT, BIAS
    path = os.path.join(model_dir, "model.json")
    if not os.path.exists(path):
        return
    with open(path) as file:
        weights = json.load(file)
    WEIGHT, BIAS = float(weights["weight"]), float(weights["bias"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="serve", choices=["serve"], help="as `docker run <image> serve`")
    parser.add_argument("--host", default=os.environ.get("MODEL_SERVER_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080")))
    parser.add_argument("--model-dir", default=MODEL_DIR, help="where the model's artifact is (model.json)")
    args = parser.parse_args(argv)
    load_weights(args.model_dir)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

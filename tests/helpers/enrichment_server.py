"""A real threaded HTTP person-lookup server for tests and benchmarks (not a test module).

Implements the provider contract of orchestration/lib/enrichment/http/ on 127.0.0.1 (port 0 = a free port):
`GET /v2/people/find?email_sha256=<hex>` or `?email=<email>` with `Authorization: Bearer <key>`.
Known people answer 200 + their JSON document, unknown ones 404, a wrong/missing key 401.

Fault injection (all thread-safe):
    server.script(key_or_email, [Reply(429, headers={"Retry-After": "1"}), 503, 200])
        per-person queue of replies consumed one per request (an int is a status; 200 means "answer
        normally", any other int an empty JSON error of that status)
    server.fail_next(n, status, headers=None)   the next n requests (any person) get `status`
    server.random_faults(rate, status, seed)    each request fails with `status` with probability `rate`
    server.latency = 0.05                        seconds added to every request
    server.hang(key_or_email, seconds)           that person's requests stall before answering (read timeouts)
    Reply.garbage(), Reply.html(status), Reply.json_array()   malformed bodies
Observation: server.requests (RecordedRequest: path, query, headers, arrived, finished),
server.max_in_flight, server.request_count(), server.arrivals().
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FIND_PATH = "/v2/people/find"


def email_sha256(email: str) -> str:
    """The vendor side of the hashed lookup: SHA-256 hex of the trimmed, lower-cased email."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


@dataclass
class Reply:
    status: int = 200
    body: bytes | None = None            # None with 200: the person's normal answer
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0                   # extra stall before answering

    @classmethod
    def garbage(cls) -> "Reply":
        return cls(200, b"\x89\xff\x00not json at all\xfe", content_type="application/octet-stream")

    @classmethod
    def html(cls, status: int = 200) -> "Reply":
        return cls(status, b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
                           b"<body><h1>Bad Gateway</h1></body></html>", content_type="text/html")

    @classmethod
    def json_array(cls) -> "Reply":
        return cls(200, json.dumps([{"gender": "female"}]).encode())

    @classmethod
    def of(cls, spec) -> "Reply":
        if isinstance(spec, Reply):
            return spec
        if isinstance(spec, int):
            return cls(spec)
        raise TypeError(f"reply spec must be Reply or int, got {spec!r}")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict                          # parameter -> list of values
    raw_query: str
    headers: dict
    arrived: float                       # time.monotonic()
    finished: float | None = None


class EnrichmentServer:
    def __init__(self, api_key: str = "test-key", people: dict | None = None, latency: float = 0.0):
        self.api_key = api_key
        self.latency = latency
        self._people: dict[str, dict] = {}        # by sha256 and by lower-cased email
        self._lock = threading.Lock()
        self._scripts: dict[str, deque] = {}
        self._global: deque = deque()
        self._hangs: dict[str, float] = {}
        self._random: tuple[float, int, random.Random] | None = None
        self._closing = threading.Event()
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        for who, doc in (people or {}).items():
            self.add(who, doc)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- setup

    def _key(self, who: str) -> str:
        who = who.strip().lower()
        return who if len(who) == 64 and all(c in "0123456789abcdef" for c in who) else email_sha256(who)

    def add(self, who: str, doc: dict) -> None:
        """A known person by email (also findable by its sha256) or by sha256 only."""
        with self._lock:
            self._people[self._key(who)] = doc
            if "@" in who:
                self._people[who.strip().lower()] = doc

    def script(self, who: str, replies: list) -> None:
        with self._lock:
            self._scripts.setdefault(self._key(who), deque()).extend(Reply.of(r) for r in replies)

    def fail_next(self, n: int, status: int, headers: dict | None = None) -> None:
        with self._lock:
            self._global.extend(Reply(status, headers=dict(headers or {})) for _ in range(n))

    def random_faults(self, rate: float, status: int = 503, seed: int = 0) -> None:
        with self._lock:
            self._random = (rate, status, random.Random(seed)) if rate > 0 else None

    def hang(self, who: str, seconds: float) -> None:
        with self._lock:
            self._hangs[self._key(who)] = seconds

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    # -- observation

    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def arrivals(self) -> list[float]:
        with self._lock:
            return sorted(r.arrived for r in self.requests)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- lifecycle

    def start(self) -> "EnrichmentServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # headers and body are separate writes: no 40 ms delayed-ACK stalls

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server._handle(self)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.request_queue_size = 128
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="enrichment-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "EnrichmentServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- request handling

    def _pick(self, key: str | None) -> Reply | None:
        with self._lock:
            if key is not None and self._scripts.get(key):
                return self._scripts[key].popleft()
            if self._global:
                return self._global.popleft()
            if self._random is not None:
                rate, status, rng = self._random
                if rng.random() < rate:
                    return Reply(status)
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        parts = urlsplit(h.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        index = None
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            index = len(self.requests)
            self.requests.append(RecordedRequest("GET", parts.path, query, parts.query,
                                                 {k: v for k, v in h.headers.items()}, arrived))
        try:
            self._respond(h, parts.path, query)
        finally:
            with self._lock:
                self.in_flight -= 1
                rec = self.requests[index]
                self.requests[index] = RecordedRequest(rec.method, rec.path, rec.query, rec.raw_query,
                                                       rec.headers, rec.arrived, time.monotonic())

    def _respond(self, h, path: str, query: dict) -> None:
        if self.latency > 0:
            self._closing.wait(self.latency)
        if path != FIND_PATH:
            return self._send(h, 404, {"error": {"type": "not_found", "message": "no such route"}})
        if h.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._send(h, 401, {"error": {"type": "auth_required", "message": "bad API key"}})
        if "email_sha256" in query:
            value = query["email_sha256"][0].strip().lower()
            key = value
            lookup = value
        elif "email" in query:
            value = query["email"][0].strip().lower()
            key = email_sha256(value)
            lookup = value
        else:
            return self._send(h, 400, {"error": {"type": "missing_param", "message": "email or email_sha256"}})
        with self._lock:
            stall = self._hangs.get(key, 0.0)
        if stall:
            self._closing.wait(stall)
        reply = self._pick(key)
        if reply is not None and reply.delay:
            self._closing.wait(reply.delay)
        if reply is not None and not (reply.status == 200 and reply.body is None):
            body = reply.body if reply.body is not None else json.dumps(
                {"error": {"type": "injected", "message": f"injected {reply.status}"}}).encode()
            return self._send_raw(h, reply.status, body, reply.content_type, reply.headers)
        with self._lock:
            doc = self._people.get(lookup) or self._people.get(key)
        if doc is None:
            return self._send(h, 404, {"error": {"type": "unknown_record", "message": "person not found"}})
        extra = reply.headers if reply is not None else {}
        return self._send_raw(h, 200, json.dumps(doc).encode(), "application/json", extra)

    def _send(self, h, status: int, doc) -> None:
        self._send_raw(h, status, json.dumps(doc).encode(), "application/json", {})

    def _send_raw(self, h, status: int, body: bytes, content_type: str, headers: dict) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                h.send_header(k, str(v))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            h.close_connection = True

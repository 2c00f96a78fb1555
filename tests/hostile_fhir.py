#!/usr/bin/env python3
"""A lying, slow, broken FHIR server for the sync tests: a proxy in front of a real one.

  hostile_fhir.py PORT UPSTREAM_BASE

Requests to http://127.0.0.1:PORT/<mode>/fhir/... go to UPSTREAM_BASE/..., except searches of
Observation, which get the fault <mode> names (see FAULTS). Mode `ok` passes everything.
Mode `nursefirst` passes everything, but the first PUT to each Task is preceded by a nurse's
change of that Task (a note added), so a box that read the Task before meets a version conflict
(If-Match is forwarded, and the ETag comes back).
Links in answers are rewritten so paging stays on the proxy. Standard library only.
"""
import json
import sys
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, UPSTREAM = int(sys.argv[1]), sys.argv[2].rstrip("/")

FAULTS = {
    "malformed", "wrongtype", "huge", "status500", "ratelimit", "slow", "redirect",
    "foreignnext", "otherpatient", "missingid", "notbundle",
}


# Tasks a nurse has already changed (mode nursefirst).
NURSE_CHANGED = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def upstream(self, path, method="GET", body=None, extra=None):
        headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
        headers.update(extra or {})
        req = urllib.request.Request(UPSTREAM + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), r.headers.get("ETag")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), None

    def handle_any(self, method):
        parts = self.path.split("/", 3)  # '', mode, 'fhir', rest
        if len(parts) < 4 or parts[2] != "fhir":
            return self.send(404, b"{}")
        mode, rest = parts[1], "/" + parts[3]
        mine = f"http://127.0.0.1:{PORT}/{mode}/fhir"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if mode in FAULTS and method == "GET" and rest.startswith("/Observation?"):
            return self.fault(mode, rest)
        if mode == "nursefirst" and method == "PUT" and rest.startswith("/Task/") \
                and rest not in NURSE_CHANGED:
            NURSE_CHANGED.add(rest)
            _, current, _ = self.upstream(rest)
            task = json.loads(current)
            task.pop("meta", None)
            task.setdefault("note", []).append({"text": "Went through it with the patient"})
            self.upstream(rest, "PUT", json.dumps(task).encode())
        extra = {k: v for k, v in self.headers.items() if k.lower() == "if-match"}
        status, data, etag = self.upstream(rest, method, body, extra)
        data = data.replace(UPSTREAM.encode(), mine.encode())
        self.send(status, data, [("ETag", etag)] if etag else [])

    def fault(self, mode, rest):
        if mode == "malformed":
            return self.send(200, b'{"resourceType": "Bundle", "entry": [ {"resource": ')
        if mode == "notbundle":
            return self.send(200, b'{"resourceType": "Patient", "id": "x"}')
        if mode == "status500":
            return self.send(500, b'{"resourceType": "OperationOutcome"}')
        if mode == "ratelimit":
            return self.send(429, b"{}", [("Retry-After", "7")])
        if mode == "redirect":
            return self.send(302, b"", [("Location", "http://evil.example/fhir" + rest)])
        if mode == "huge":
            chunk = b" " * (1 << 20)
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(20 * len(chunk) + 2))
            self.end_headers()
            try:
                self.wfile.write(b"{")
                for _ in range(20):
                    self.wfile.write(chunk)
                self.wfile.write(b"}")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if mode == "slow":
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.5)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        status, data, _ = self.upstream(rest)
        bundle = json.loads(data)
        entries = bundle.get("entry", [])
        if mode == "wrongtype" and entries:
            entries[0]["resource"] = {"resourceType": "Patient", "id": "someone-else"}
        if mode == "missingid" and entries:
            entries[0]["resource"].pop("id", None)
        if mode == "foreignnext":
            bundle["link"] = [{"relation": "next", "url": "http://evil.example/fhir/Observation?page=2"}]
        if mode == "otherpatient":
            for e in entries[:3]:
                e["resource"]["subject"] = {"reference": "Patient/someone-else"}
        self.send(200, json.dumps(bundle).encode())

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

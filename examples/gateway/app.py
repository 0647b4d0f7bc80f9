#!/usr/bin/env python3
"""A Flask-style backend that knows nothing about tokens.

nginx asks `cognito-jwt gateway` about every request and passes the
verified identity in X-Auth-* headers (every one present on every request
it lets through, empty for an anonymous one; values that are not visible
ASCII are percent-encoded). The headers a client sends under those names
never get here: nginx replaces them. Only the standard library is used.

    python3 app.py [PORT]      # default 5000, on 127.0.0.1 only
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

PUBLIC_ACTIVITIES = [
    {"handle": "andrewbrown", "message": "Cloud is very fun!"},
    {"handle": "worf", "message": "I am out of prune juice"},
    {"handle": "garek", "message": "My dear doctor, I am just a simple tailor"},
]


def identity(headers):
    """The gateway's headers as a dict; every value decoded, '' when absent."""
    value = lambda name: unquote(headers.get(name, ""))
    split = lambda name: [unquote(item) for item in headers.get(name, "").split(" ") if item]
    return {
        "sub": value("X-Auth-Sub"),
        "username": value("X-Auth-Username"),
        "groups": split("X-Auth-Groups"),
        "scopes": split("X-Auth-Scopes"),
        "client_id": value("X-Auth-Client-Id"),
        "token_use": value("X-Auth-Token-Use"),
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "flask-style-upstream"

    def do_GET(self):
        user = identity(self.headers)
        path = self.path.split("?", 1)[0]
        if path == "/api/activities/home":
            activities = list(PUBLIC_ACTIVITIES)
            if user["sub"]:
                name = user["username"] or user["sub"]
                activities.insert(0, {
                    "handle": "cruddur",
                    "message": f"Welcome back, {name}! 2 new crudds since your last visit.",
                })
            self.answer(200, {"signed_in_as": user["username"] or None, "activities": activities})
        elif path == "/api/me":
            # nginx checks this route with anonymous=deny; refusing here too
            # costs nothing if the proxy is ever misconfigured.
            if not user["sub"]:
                self.answer(401, {"error": "unauthorized"})
            else:
                self.answer(200, user)
        elif path == "/api/admin":
            self.answer(200, {"welcome": user["username"] or user["sub"]})
        else:
            self.answer(404, {"error": "not_found"})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        # Method, path and status only: never a header.
        sys.stderr.write("%s %s\n" % (self.requestline.split(" ")[0], format % args))


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()

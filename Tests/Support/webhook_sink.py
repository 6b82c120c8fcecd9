"""A loopback webhook receiver for the tests: every POST is appended to a JSON-lines file with
its path, headers and body; paths under /fail answer 500, under /redirect 307 to /ok, all
others 204.

usage: webhook_sink.py PORT OUTPUT_FILE   (runs until killed)
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode("utf-8")}
        with open(self.server.output, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        if self.path.startswith("/redirect"):
            self.send_response(307)
            self.send_header("Location", "/ok")
        else:
            self.send_response(500 if self.path.startswith("/fail") else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver)
    server.output = sys.argv[2]
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

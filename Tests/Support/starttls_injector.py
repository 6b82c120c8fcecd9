"""A fake SMTP server for the tests that plays a man in the middle: it offers STARTTLS, and
appends a forged reply to its go-ahead in the same packet. Whatever the client sends after
that is appended to the output file as JSON lines ({"bytes": n}), so a client that went on
into the handshake anyway shows up.

usage: starttls_injector.py PORT OUTPUT_FILE   (runs until killed)
"""
import json
import socketserver
import sys


class Injector(socketserver.BaseRequestHandler):
    def handle(self):
        stream = self.request.makefile("rb")
        self.request.sendall(b"220 injector ESMTP\r\n")
        for line in stream:
            command = line.strip().upper()
            if command.startswith(b"EHLO"):
                self.request.sendall(b"250-injector\r\n250 STARTTLS\r\n")
            elif command == b"STARTTLS":
                self.request.sendall(b"220 go ahead\r\n250 AUTH PLAIN\r\n")
                break
            else:
                self.request.sendall(b"500 unexpected\r\n")
                return
        self.request.settimeout(5)
        try:
            data = self.request.recv(65536)
        except OSError:
            return
        if data:
            with open(self.server.output, "a", encoding="utf-8") as out:
                out.write(json.dumps({"bytes": len(data)}) + "\n")


def main():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", int(sys.argv[1])), Injector)
    server.output = sys.argv[2]
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

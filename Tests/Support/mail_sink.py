"""A loopback SMTP server for the tests (aiosmtpd): every message it accepts is appended to a
JSON-lines file with its envelope, subject, Message-ID and decoded text and HTML parts.
Recipients whose address starts with "bounce" are refused for good (550).

usage: mail_sink.py PORT OUTPUT_FILE [CERT KEY USER PASSWORD]   (runs until killed)
With a certificate, STARTTLS is required, and AUTH (PLAIN or LOGIN) as USER/PASSWORD after it.
"""
import email
import email.policy
import json
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "messageId": str(message["message-id"]),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
            "tls": session.ssl is not None,
            "user": session.authenticated and session.auth_data.login.decode() if session.auth_data else None,
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    options = {}
    if len(sys.argv) == 7:
        cert, key, user, password = sys.argv[3:7]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, auth_data=auth_data)

        options = {"tls_context": context, "require_starttls": True, "authenticator": authenticate, "auth_require_tls": True}
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print("ready", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()

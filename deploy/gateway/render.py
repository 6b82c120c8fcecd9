"""Fills ${NAME} placeholders of the gateway template from the environment.

Only ${...} with a set environment variable is replaced, like the nginx image's envsubst,
so nginx's own $variables are left alone. An upstream given as a comma-separated list
(`127.0.0.1:8081,127.0.0.1:9081`, the scaling drill's replicas) becomes one `server` line each.
"""
import os
import re
import sys


def servers(match: re.Match) -> str:
    value = os.environ.get(match.group(1))
    if value is None:
        return match.group(0)
    return " ".join(f"server {address.strip()};" for address in value.split(","))


text = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"server \$\{([A-Z_]+)\};", servers, text)
sys.stdout.write(re.sub(r"\$\{([A-Z_]+)\}", lambda m: os.environ.get(m.group(1), m.group(0)), text))

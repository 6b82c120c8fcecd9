"""Fills ${NAME} placeholders of the gateway template from the environment.

Only ${...} with a set environment variable is replaced, like the nginx image's envsubst,
so nginx's own $variables are left alone.
"""
import os
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
sys.stdout.write(re.sub(r"\$\{([A-Z_]+)\}", lambda m: os.environ.get(m.group(1), m.group(0)), text))

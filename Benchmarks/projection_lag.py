"""Creates users one at a time and measures how long each takes to appear in audience.

usage: projection_lag.py USERS_URL AUDIENCE_URL API_KEY COUNT
Prints "p50 X, p95 Y, max Z" in milliseconds.
"""
import json
import sys
import time
import urllib.error
import urllib.request

users, audience, key, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
lags = []
for index in range(count):
    body = json.dumps({"email": f"lag-{time.time_ns()}-{index}@example.com"}).encode()
    request = urllib.request.Request(f"{users}/api/v1/users", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request) as response:
        user = json.load(response)
    start = time.perf_counter()
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(f"{audience}/api/v1/audience/users/{user['id']}", headers=headers))
            break
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
            time.sleep(0.001)
    lags.append((time.perf_counter() - start) * 1000)
lags.sort()
print(f"p50 {lags[len(lags) // 2]:.1f}, p95 {lags[int(len(lags) * 0.95)]:.1f}, max {lags[-1]:.1f}")

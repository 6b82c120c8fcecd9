"""The scaling drill's mixed load: user creation, profile updates, group changes and
broadcasts through the gateway, from several workers at once, for a given time.

usage: drill_load.py GATEWAY_URL API_KEY GROUP_ID SECONDS WORKERS OUTPUT.json

Every request's outcome is recorded. A request that failed (no answer, or a 5xx) is counted
with the time it failed; a broadcast is retried once with its Idempotency-Key, which is safe.
The output holds the ids of the users whose creation was acknowledged (201), the broadcasts
accepted (202), and the counts per operation.
"""
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

gateway, key, group, seconds, workers, output = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
lock = threading.Lock()
created: list[str] = []
broadcasts: set[str] = set()
counts: dict[str, dict[str, int]] = {}
failures: list[dict] = []


def call(method: str, path: str, body: dict, extra: dict | None = None) -> tuple[int, dict]:
    """The status and JSON body; status 0 when no answer came."""
    request = urllib.request.Request(
        gateway + path, data=json.dumps(body).encode(), headers={**headers, **(extra or {})}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return 0, {"error": str(error)}


def record(operation: str, status: int, expected: int) -> bool:
    ok = status == expected
    with lock:
        tally = counts.setdefault(operation, {"ok": 0, "failed": 0, "refused": 0})
        if ok:
            tally["ok"] += 1
        elif status == 0 or status >= 500:
            tally["failed"] += 1
            failures.append({"operation": operation, "status": status, "at": time.time()})
        else:
            tally["refused"] += 1
    return ok


def some_users(count: int) -> list[str]:
    with lock:
        return random.sample(created, min(count, len(created))) if created else []


def worker(deadline: float) -> None:
    while time.time() < deadline:
        roll = random.random()
        if roll < 0.4 or len(created) < 20:
            status, body = call("POST", "/api/v1/users", {"email": f"drill-{uuid.uuid4().hex}@example.io", "firstName": "Drill"})
            if record("create user", status, 201):
                with lock:
                    created.append(body["id"])
        elif roll < 0.65:
            user = some_users(1)[0]
            status, _ = call("PATCH", f"/api/v1/users/{user}", {"lastName": f"L{random.randint(0, 10**6)}", "city": random.choice(["Paris", "Oslo", "Lima"])})
            record("update user", status, 200)
        elif roll < 0.85:
            action = random.choice(["add-users", "remove-users"])
            status, _ = call("POST", f"/api/v1/groups/{group}/{action}", {"userIds": some_users(random.randint(1, 5))})
            record("group change", status, 200)
        else:
            target = {"groupId": group} if random.random() < 0.3 else {"userIds": some_users(random.randint(1, 50))}
            body = {"type": "new_campaign", "title": "Drill", "message": "Mixed load", **target}
            idempotency = {"Idempotency-Key": uuid.uuid4().hex}
            status, answer = call("POST", "/api/v1/broadcasts", body, idempotency)
            if status == 0 or status >= 500:
                # Clients may retry a send with its key: it is answered once, sent once.
                record("broadcast (first try)", status, 202)
                status, answer = call("POST", "/api/v1/broadcasts", body, idempotency)
            if record("broadcast", status, 202):
                with lock:
                    broadcasts.add(answer["id"])


deadline = time.time() + seconds
threads = [threading.Thread(target=worker, args=(deadline,)) for _ in range(workers)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with open(output, "w", encoding="utf-8") as file:
    json.dump({"created": created, "broadcasts": sorted(broadcasts), "counts": counts, "failures": failures}, file)

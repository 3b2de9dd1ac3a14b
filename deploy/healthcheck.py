"""Docker HEALTHCHECK: exit 0 when GET /healthz on this container answers 200, else 1.

Standard library only (the slim image has no curl). Reads SCRUM_PORT; prints one short line.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("SCRUM_PORT", "8080").strip() or "8080"
    url = os.environ.get("SCRUM_HEALTHCHECK_URL") or f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as resp:
            ok = resp.status == 200
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"unhealthy: {type(exc).__name__}")
        return 1
    print("healthy" if ok else "unhealthy: status")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

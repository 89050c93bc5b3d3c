"""`python -m emulator.healthcheck`: exit 0 when the server configured by the env vars is ready, else 1.

The container's HEALTHCHECK: slim Python images have no curl, and this reads the same settings as the server.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from emulator.settings import Settings

# A wildcard listener is reached on the loopback address of the same family.
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}


def ready_url(settings: Settings) -> str:
    host = _WILDCARDS.get(settings.host, f"[{settings.host}]" if ":" in settings.host else settings.host)
    return f"http://{host}:{settings.port}/_emulator/ready"


def main() -> int:
    url = ready_url(Settings())
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"not ready: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

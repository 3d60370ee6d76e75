"""Serve the portal in a separate process (for the multi-process tests): python -m tests.support.serve PORT."""

from __future__ import annotations

import sys

from werkzeug.serving import make_server


def main() -> None:
    from portal import create_app

    port = int(sys.argv[1])
    app = create_app({"ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
                      "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute", "MAIL_BACKEND": "console"})
    server = make_server("127.0.0.1", port, app, threaded=True)
    print("serving", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

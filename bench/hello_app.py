"""The baseline for bench/load_bench.py: a bare Flask app with one route.

Served by gunicorn with the same settings as the portal, so the ratio of a portal page's throughput to this
one's says what the portal's own work costs, whatever the machine:

    .venv/bin/gunicorn --chdir . -k gthread -w 2 --threads 4 -b 127.0.0.1:8001 bench.hello_app:app
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"

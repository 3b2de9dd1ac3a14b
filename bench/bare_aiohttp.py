"""The baseline for bench/load_line.py: the least a LINE webhook can do in aiohttp.

It reads the body, checks ``X-Line-Signature`` (HMAC-SHA256 of the raw body with the channel
secret), parses the JSON and answers 200, with no routing, database or reply. The load driver
measures it in the same run as ``scrum-bot serve`` and reports the bot's throughput as a ratio.

    python bench/bare_aiohttp.py --port 8091 --secret s3cret   # bound: --max-seconds (default 600)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json

from aiohttp import web


def make_app(secret: str) -> web.Application:
    key = secret.encode()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, request.headers.get("X-Line-Signature", "")):
            return web.Response(status=400, text="invalid signature")
        try:
            json.loads(body)
        except ValueError:
            return web.Response(status=400, text="bad json")
        return web.Response(text="OK")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/webhooks/line", webhook)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(host: str, port: int, secret: str, max_seconds: float) -> None:
    runner = web.AppRunner(make_app(secret), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        await asyncio.sleep(max_seconds)      # bounded: it stops by itself
    finally:
        await runner.cleanup()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8091)
    p.add_argument("--secret", default="bench-channel-secret")
    p.add_argument("--max-seconds", type=float, default=600.0)
    a = p.parse_args()
    if not a.host.startswith("127.") and a.host not in {"localhost", "::1"}:
        raise SystemExit("bench servers listen on loopback only")
    asyncio.run(serve(a.host, a.port, a.secret, a.max_seconds))


if __name__ == "__main__":
    main()

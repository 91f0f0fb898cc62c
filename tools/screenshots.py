#!/usr/bin/env python3
"""Screenshots of what people see, taken in headless Chromium from a running server (``make screenshots``).

It logs in over HTTP (``/web/session/authenticate``), hands the session cookie to Chromium through the DevTools
protocol (``websocket-client``, already a test requirement) and captures each page at the widths given, full
page. Usage, with ``make run`` serving the demo database::

    python3 tools/screenshots.py --out /tmp/shots admin:admin@/odoo/action-itsm_service_contract.action_itsm_contract
    python3 tools/screenshots.py --width 390 claire.moreau:portal@/my/contracts

Each argument is ``login:password@path``; files are named after the path and the width. Only 127.0.0.1.
"""

import argparse
import base64
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl


def session_id(url, db, login, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    payload = json.dumps(
        {"jsonrpc": "2.0", "method": "call", "params": {"db": db, "login": login, "password": password}}
    )
    request = urllib.request.Request(
        f"{url}/web/session/authenticate", payload.encode(), {"Content-Type": "application/json"}
    )
    with opener.open(request, timeout=60) as response:
        answer = json.loads(response.read())
    if answer.get("error"):
        raise SystemExit(f"login {login} refused: {answer['error']['data']['message']}")
    return next(cookie.value for cookie in jar if cookie.name == "session_id")


class Browser:
    def __init__(self):
        binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
        if not binary:
            raise SystemExit("Chromium is needed (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="itsm-shots-")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "about:blank"],
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for line in self.proc.stderr:
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                break
        port = match.group(1).split(":")[2].split("/")[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(t for t in json.loads(response.read()) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.ids = 0

    def call(self, method, **params):
        self.ids += 1
        self.ws.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.ids:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def shot(self, url, cookie, width, path, settle=4.0):
        host = re.match(r"https?://([^/:]+)", url).group(1)
        self.call("Network.enable")
        self.call("Network.setCookie", name="session_id", value=cookie, domain=host, path="/")
        self.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=width < 500
        )
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        time.sleep(settle)  # the web client renders after load
        metrics = self.call("Page.getLayoutMetrics")
        height = min(int(metrics["cssContentSize"]["height"]), 4000)
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=max(height, 600), deviceScaleFactor=1,
                  mobile=width < 500)  # fmt: skip
        time.sleep(0.5)
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(data))

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", help="login:password@/path")
    parser.add_argument("--url", default=f"http://127.0.0.1:{devctl.HTTP_PORT}")
    parser.add_argument("--db", default=devctl.DEMO_DB)
    parser.add_argument("--width", type=int, action="append", help="viewport width (px); repeatable")
    parser.add_argument("--out", default=os.path.join(devctl.WORK, "screenshots"))
    parser.add_argument("--settle", type=float, default=4.0, help="seconds to let the page render")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    browser = Browser()
    try:
        for page in args.pages:
            credentials, path = page.split("@", 1)
            login, password = credentials.split(":", 1)
            cookie = session_id(args.url, args.db, login, password)
            for width in args.width or [1400, 390]:
                name = re.sub(r"\W+", "-", path).strip("-") or "home"
                target = os.path.join(args.out, f"{name}-{width}.png")
                browser.shot(args.url + path, cookie, width, target, args.settle)
                print(target)
    finally:
        browser.close()


if __name__ == "__main__":
    main()

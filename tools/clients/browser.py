"""Headless Chromium driven over the DevTools protocol, for the page tests: tabs, script
evaluation, waiting for a condition, real mouse and keyboard events, screenshots."""
import base64, json, os, subprocess, sys, time, urllib.request

import websocket


def get_json(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


class Browser:
    def __init__(self, devtools_port, profile, size="1280,800"):
        self.port = devtools_port
        env = dict(os.environ, TZ="UTC")  # a date control's local time is UTC, as the store's clock
        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={size}",
             f"--remote-debugging-port={devtools_port}", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)

    def first_page(self):
        deadline = time.monotonic() + 120
        while True:
            try:
                target = next(t for t in get_json(f"http://127.0.0.1:{self.port}/json") if t["type"] == "page")
                return Page(target["webSocketDebuggerUrl"])
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def new_page(self):
        """A second tab, in a browser context of its own (its own cookies: another planner)."""
        endpoint = Page(get_json(f"http://127.0.0.1:{self.port}/json/version")["webSocketDebuggerUrl"], enable=False)
        context = endpoint.call("Target.createBrowserContext")["browserContextId"]
        target = endpoint.call("Target.createTarget", url="about:blank", browserContextId=context)["targetId"]
        # The list may name the new tab only a moment later (on a busy machine, seconds later).
        deadline = time.monotonic() + 60
        while True:
            for t in get_json(f"http://127.0.0.1:{self.port}/json"):
                if t.get("id") == target:
                    return Page(t["webSocketDebuggerUrl"])
            if time.monotonic() > deadline:
                raise RuntimeError("the new tab did not appear in /json within 60 s")
            time.sleep(0.2)

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Page:
    def __init__(self, url, enable=True):
        self.ws = websocket.create_connection(url, timeout=180)
        self.next = 0
        if enable:
            self.call("Page.enable")

    def call(self, method, **params):
        self.next += 1
        self.ws.send(json.dumps({"id": self.next, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}: {r['exceptionDetails'].get('exception', {}).get('description')}")
        return r.get("result", {}).get("value")

    def wait(self, expression, seconds=120):
        """The value of `expression` once it is truthy. Not truthy within `seconds` (a bound for
        a slow machine, not a speed to meet), it fails: says so (a FAILED: line) and raises, so
        that no caller goes on as if the page had got there."""
        deadline = time.monotonic() + seconds
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        print(f"FAILED: the page did not reach {expression[:100]!r} within {seconds} s", file=sys.stderr)
        raise TimeoutError(f"waited {seconds} s for {expression[:100]!r}")

    def navigate(self, url):
        self.call("Page.navigate", url=url)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def click(self, x, y, count=1):
        """A real click (a double click with count 2: two clicks, the second with clickCount 2)."""
        for n in range(1, count + 1):
            self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
            for kind in ("mousePressed", "mouseReleased"):
                self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=n)

    def click_element(self, selector):
        """A real click in the middle of the element `selector` (scrolled into view)."""
        box = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
                        " e.scrollIntoView({block: 'center'}); return JSON.stringify(e.getBoundingClientRect()); })()")
        if not box:
            raise RuntimeError(f"no element {selector}")
        r = json.loads(box)
        self.click(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)

    def type_into(self, selector, text):
        self.click_element(selector)
        self.eval(f"document.querySelector({json.dumps(selector)}).select && "
                  f"document.querySelector({json.dumps(selector)}).select(); true")
        self.call("Input.insertText", text=text)

    def key(self, key, code, vk):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=code, windowsVirtualKeyCode=vk)

"""What the process-level test scripts share: checks that count, free ports, waiting for a
server, running the gridmap binary."""
import signal, socket, subprocess, sys, time


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAILED: {name} {detail}", file=sys.stderr)

    def finish(self, title):
        """Prints 'title: N passed, N failed' and exits non-zero on any failure."""
        print(f"{title}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    return port


def wait_port(port, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def run(binary, *args, ok=True):
    """Runs `binary args…`; raises with its standard error when it fails and `ok` is set."""
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise RuntimeError(f"gridmap {' '.join(args)}: {r.stderr}")
    return r


def stop(process, seconds=120):
    """Asks a server to shut down (SIGTERM) and waits for it; kills it if it has not exited
    within `seconds`. Returns its exit code, or -1 when it had to be killed."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -1

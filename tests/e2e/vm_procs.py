"""Process helpers shared by the VM end-to-end tests (finding and checking qemu children)."""
import conftest


def children(pid):
    """Direct children of pid (the launcher's qemu)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(cond, timeout, what):
    """conftest.wait_for with this module's argument order; timeouts at least 60s."""
    return conftest.wait_for(cond, timeout=max(timeout, 60), interval=0.05, what=what)

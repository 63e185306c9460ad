"""`hull build` from the locally bootstrapped `localhost/debian:bookworm` (build_helpers.py
makes it once and shares it): a multi-stage build that compiles C with gcc and ships the binary
in a busybox stage, and a build that installs redis-server from Debian's archive and serves
requests from it. These are the slow tests of the build feature; keep them few."""
import os
import socket
import time

import pytest

from build_helpers import debian_archive, load_debian, write
from hull_helpers import hull  # noqa: F401  (fixture)


@pytest.fixture(scope="session")
def debian():
    return debian_archive()


HELLO_C = r"""
#include <stdio.h>
int main(int argc, char **argv) { printf("compiled hello, %d args\n", argc - 1); return 0; }
"""


def test_multi_stage_gcc_into_busybox(hull, debian, tmp_path):
    load_debian(hull, debian)
    ctx = tmp_path / "ctx"
    write(str(ctx / "src" / "hello.c"), HELLO_C)
    write(str(ctx / "Containerfile"), """\
FROM localhost/debian:bookworm AS build
WORKDIR /src
COPY src/ .
RUN gcc -static -O2 -o /hello hello.c

FROM busybox
COPY --from=build /hello /usr/local/bin/hello
ENTRYPOINT ["/usr/local/bin/hello"]
""")
    r = hull("build", "--pull=never", "-t", "hello:1", str(ctx), timeout=900)
    assert r.returncode == 0, r.stderr
    out = hull("run", "--rm", "hello:1", "a", "b", check=True).stdout
    assert out == "compiled hello, 2 args\n"


def wait_for_pong(port, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64)
        except OSError as e:
            last = e
            time.sleep(0.1)
    raise AssertionError(f"redis did not answer on {port}: {last}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_apt_get_install_redis_and_serve(hull, debian, tmp_path):
    load_debian(hull, debian)
    ctx = tmp_path / "ctx"
    write(str(ctx / "Containerfile"), """\
FROM localhost/debian:bookworm
RUN apt-get update && \\
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server && \\
    rm -rf /var/lib/apt/lists/*
EXPOSE 6379
CMD ["redis-server", "--bind", "127.0.0.1", "--save", "", "--protected-mode", "no"]
""")
    r = hull("build", "--network", "host", "-t", "redis:local", str(ctx), timeout=1800)
    assert r.returncode == 0, r.stderr
    port = free_port()
    cid = hull.run_d("--network", "host", "--name", "redis1", "redis:local", "redis-server",
                     "--bind", "127.0.0.1", "--port", str(port), "--save", "")
    assert cid
    assert wait_for_pong(port) == b"+PONG\r\n"
    hull("rm", "-f", "redis1", check=True)

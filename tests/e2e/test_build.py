"""`hull build` on the built-in busybox image: instructions, ARG/ENV expansion (docker's
documented examples), .dockerignore, the layer cache, multi-stage builds, refusals with
file:line, and the image as a normal image (run, save, podman). The Debian builds (gcc, apt)
are in test_build_debian.py."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from build_helpers import write
from hull_helpers import hull  # noqa: F401  (fixture)


def build(hull, ctx, *args, check=True, timeout=300):
    r = hull("build", *args, str(ctx), timeout=timeout)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def inspect_image(hull, ref):
    return json.loads(hull("image", "inspect", ref, check=True).stdout)[0]


def layer_dirs(hull):
    d = os.path.join(hull.root, "images", "layers")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_build_runs_copies_and_sets_config(hull, tmp_path):
    ctx = tmp_path / "ctx"
    write(str(ctx / "a.txt"), "hello\n")
    write(str(ctx / "sub" / "s.txt"), "sub\n", 0o600)
    write(str(ctx / "Containerfile"), """\
# syntax=docker/dockerfile:1
FROM busybox
ARG GREETING=hi
ENV FOO=/bar \\
    BAZ="a b"
WORKDIR ${FOO}
# a comment inside the file
COPY a.txt .
COPY --chmod=755 sub /opt/sub/
RUN echo "$GREETING $BAZ" > /greeting && cat a.txt
RUN ["sh", "-c", "echo exec-form > /exec"]
EXPOSE 8080 53/udp
VOLUME /data
LABEL org.example.name="demo app" version=1
USER 1:1
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD true
ENTRYPOINT ["sh", "-c"]
CMD ["cat /greeting /exec; id -u; pwd"]
""")
    r = build(hull, ctx, "-t", "demo", "--label", "extra=yes", "--iidfile", tmp_path / "iid")
    image_id = r.stdout.strip()
    assert (tmp_path / "iid").read_text() == "sha256:" + image_id
    assert "STEP 1/16: FROM busybox" in r.stderr
    run = hull("run", "--rm", "demo", check=True)
    assert run.stdout == "hi a b\nexec-form\n1\n/bar\n"
    info = inspect_image(hull, "localhost/demo:latest")
    cfg = info["Config"]
    assert "FOO=/bar" in cfg["Env"] and "BAZ=a b" in cfg["Env"]
    assert cfg["WorkingDir"] == "/bar"
    assert cfg["User"] == "1:1"
    assert cfg["StopSignal"] == "SIGINT"
    assert set(cfg["ExposedPorts"]) == {"8080/tcp", "53/udp"}
    assert set(cfg["Volumes"]) == {"/data"}
    assert cfg["Labels"] == {"org.example.name": "demo app", "version": "1", "extra": "yes"}
    assert cfg["Entrypoint"] == ["sh", "-c"]
    assert cfg["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]
    assert cfg["Healthcheck"]["Interval"] == 5_000_000_000
    assert cfg["Healthcheck"]["Retries"] == 2
    # The ARG is not in the image; the COPY kept the mode asked for.
    assert not any(e.startswith("GREETING=") for e in cfg["Env"])
    ls = hull("run", "--rm", "--entrypoint", "", "demo", "stat", "-c", "%a %u", "/opt/sub/s.txt",
              check=True)
    assert ls.stdout == "755 0\n"
    # No RUN container, no intermediate image is left.
    assert hull.container_ids() == []
    names = [l.split()[0] for l in hull("images", check=True).stdout.splitlines()[1:]]
    assert sorted(names) == ["localhost/busybox", "localhost/demo"]


def test_cache_hits_and_misses(hull, tmp_path):
    ctx = tmp_path / "ctx"
    for n in ("one", "two", "three"):
        write(str(ctx / n), n + "\n")
    write(str(ctx / "Containerfile"), """\
FROM busybox
COPY one /one
RUN cat /one > /from-run
COPY two /two
RUN cat /two >> /from-run
COPY three /three
""")
    first = build(hull, ctx, "-t", "cached").stdout.strip()
    layers = layer_dirs(hull)
    again = build(hull, ctx, "-t", "cached")
    assert again.stdout.strip() == first, "an unchanged rebuild gives the same image"
    assert again.stderr.count("Using cache") == 5
    assert layer_dirs(hull) == layers, "an unchanged rebuild creates no layer"
    # Edit the second file: steps before it come from the cache, it and later ones rerun.
    write(str(ctx / "two"), "TWO\n")
    third = build(hull, ctx, "-t", "cached")
    steps = third.stderr.split("STEP ")[1:]
    cached = ["Using cache" in s for s in steps]
    assert cached == [False, True, True, False, False, False], third.stderr
    assert third.stdout.strip() != first
    out = hull("run", "--rm", "cached", "cat", "/from-run", check=True).stdout
    assert out == "one\nTWO\n"
    # --no-cache runs everything again.
    nc = build(hull, ctx, "--no-cache", "-t", "cached")
    assert "Using cache" not in nc.stderr


def test_arg_and_env_expansion_docker_examples(hull, tmp_path):
    ctx = tmp_path / "ctx"
    write(str(ctx / "file"), "x\n")
    # From docker's Dockerfile reference (environment replacement, ARG, ENV and ARG scope).
    write(str(ctx / "Dockerfile"), """\
ARG VERSION=latest
FROM busybox:$VERSION
ARG VERSION
RUN echo $VERSION > /image_version
ENV FOO=/bar
WORKDIR ${FOO}
ADD . $FOO
COPY \\$FOO /quux
ENV abc=hello
ENV abc=bye def=$abc
ENV ghi=$abc
ARG CONT_IMG_VER
ENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}
ARG user1=someuser
ENV SET=${abc:+alt} UNSET=${nope:+alt} DEF=${nope:-dflt} LIT='$abc' ESC=\\$abc
RUN echo "$user1 $CONT_IMG_VER" > /args
""")
    write(str(ctx / "$FOO"), "dollar\n")
    build(hull, ctx, "-t", "exp", "--build-arg", "user1=what_user")
    env = inspect_image(hull, "exp")["Config"]["Env"]
    for want in ("abc=bye", "def=hello", "ghi=bye", "CONT_IMG_VER=v1.0.0", "SET=alt", "UNSET=",
                 "DEF=dflt", "LIT=$abc", "ESC=$abc"):
        assert want in env, (want, env)
    out = hull("run", "--rm", "exp", "cat", "/image_version", "/args", "/quux", "/bar/file",
               check=True).stdout
    assert out == "latest\nwhat_user v1.0.0\ndollar\nx\n"
    # ENV overrides a build arg of the same name.
    write(str(ctx / "Dockerfile"), """\
FROM busybox
ARG CONT_IMG_VER
ENV CONT_IMG_VER=v1.0.0
RUN echo $CONT_IMG_VER > /v
""")
    build(hull, ctx, "-t", "exp2", "--build-arg", "CONT_IMG_VER=v2.0.1")
    assert hull("run", "--rm", "exp2", "cat", "/v", check=True).stdout == "v1.0.0\n"


def test_dockerignore(hull, tmp_path):
    ctx = tmp_path / "ctx"
    for p in ("keep.txt", "secret.key", "logs/a.log", "docs/README.md", "docs/other.md",
              "deep/x/y/tmp.o", "temp1/f", ".git/config"):
        write(str(ctx / p), p + "\n")
    write(str(ctx / ".dockerignore"), """\
# docker's rules
*.key
logs
**/*.o
docs/*.md
!docs/README.md
temp?
/.git
""")
    write(str(ctx / "Containerfile"), "FROM busybox\nCOPY . /ctx/\n")
    build(hull, ctx, "-t", "ign")
    out = hull("run", "--rm", "ign", "find", "/ctx", "-type", "f", check=True).stdout.split()
    assert sorted(out) == ["/ctx/.dockerignore", "/ctx/Containerfile", "/ctx/docs/README.md",
                           "/ctx/keep.txt"]
    # An ignored file named on its own is "not found", as in docker.
    write(str(ctx / "Containerfile"), "FROM busybox\nCOPY secret.key /\n")
    r = build(hull, ctx, check=False)
    assert r.returncode != 0
    assert "Containerfile:2" in r.stderr and "excluded by .dockerignore" in r.stderr


def test_multi_stage_scratch_target_and_copy_from(hull, tmp_path):
    ctx = tmp_path / "ctx"
    write(str(ctx / "Containerfile"), """\
FROM busybox AS base
RUN mkdir -p /out && echo built > /out/result && ln -s result /out/link

FROM scratch AS final
COPY --from=base /out/ /data/
COPY --from=base /bin/busybox /bin/busybox
CMD ["/bin/busybox", "cat", "/data/result", "/data/link"]

FROM busybox AS other
RUN false
""")
    build(hull, ctx, "-t", "staged", "--target", "final")
    assert hull("run", "--rm", "staged", check=True).stdout == "built\nbuilt\n"
    assert len(inspect_image(hull, "staged")["RootFS"]["Layers"]) == 2
    r = build(hull, ctx, "--target", "nope", check=False)
    assert r.returncode != 0 and "--target nope" in r.stderr


def test_failing_run_shows_output_and_leaves_nothing(hull, tmp_path):
    ctx = tmp_path / "ctx"
    write(str(ctx / "Containerfile"), """\
FROM busybox
RUN echo before > /x
RUN echo this-went-wrong >&2; exit 3
""")
    before = hull("images", "-q").stdout
    r = build(hull, ctx, "-t", "broken", check=False)
    assert r.returncode == 1
    assert "this-went-wrong" in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("hull: Containerfile:3: RUN:") and "non-zero code: 3" in last, last
    assert hull("images", "-q").stdout == before
    assert hull.container_ids() == []
    assert os.listdir(os.path.join(hull.root, "images", "tmp")) == []


BAD = [
    ("FROM busybox\nFROBNICATE x\n", "Containerfile:2: unknown instruction: FROBNICATE"),
    ("# just a comment\nRUN true\n", "Containerfile:2: no build stage in current context"),
    ("FROM busybox\nCOPY missing.txt /\n", "Containerfile:2: COPY: file not found"),
    ("FROM busybox\n\nCOPY ../outside /\n", "Containerfile:3: COPY: forbidden path outside"),
    ("FROM busybox\nCOPY link /\n", "Containerfile:2: COPY: forbidden path outside"),
    ("FROM busybox\nCOPY linkdir/f /\n", "Containerfile:2: COPY: forbidden path outside"),
    ("FROM --platform=linux/arm64 busybox\n", "Containerfile:1: FROM: --platform is not supported"),
    ("FROM busybox\nONBUILD RUN true\n", "Containerfile:2: ONBUILD: ONBUILD is not supported"),
    ("FROM busybox\nADD https://example.com/x /\n", "Containerfile:2: ADD: `https://example.com/x`:"
     " remote sources"),
    ("FROM busybox\nRUN <<EOF\necho hi\nEOF\n", "Containerfile:2: RUN: heredocs are not supported"),
    ("FROM busybox\nSHELL /bin/bash -c\n", "Containerfile:2: SHELL: SHELL requires the arguments as"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m.split(": ", 1)[1][:30] for _, m in BAD])
def test_bad_containerfile(hull, tmp_path, text, message):
    ctx = tmp_path / "ctx"
    write(str(ctx / "Containerfile"), text)
    write(str(tmp_path / "outside"), "secret\n")
    os.symlink(str(tmp_path / "outside"), str(ctx / "link"))
    os.symlink(str(tmp_path), str(ctx / "linkdir"))
    (tmp_path / "f").write_text("f\n")
    hull("images", check=True)  # seed the store first, so "nothing new" is measurable
    blobs = sorted(os.listdir(os.path.join(hull.root, "images", "blobs", "sha256")))
    r = build(hull, ctx, "-t", "bad", check=False)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert lines[-1] == "hull: " + message or lines[-1].startswith("hull: " + message), r.stderr
    assert "bad" not in hull("images", check=True).stdout
    assert hull.container_ids() == []
    assert os.listdir(os.path.join(hull.root, "images", "tmp")) == []
    assert sorted(os.listdir(os.path.join(hull.root, "images", "blobs", "sha256"))) == blobs


def test_add_extracts_local_tar_and_chown(hull, tmp_path):
    ctx = tmp_path / "ctx"
    src = tmp_path / "src"
    write(str(src / "dir" / "inner.txt"), "inner\n")
    ctx.mkdir()
    subprocess.run(["tar", "-czf", str(ctx / "a.tar.gz"), "-C", str(src), "dir"], check=True)
    write(str(ctx / "plain.txt"), "plain\n")
    write(str(ctx / "Containerfile"), """\
FROM busybox
ADD a.tar.gz /unpacked/
COPY --chown=nobody:nogroup plain.txt /owned/
COPY *.txt /glob/
""")
    build(hull, ctx, "-t", "added")
    out = hull("run", "--rm", "added", "sh", "-c",
               "cat /unpacked/dir/inner.txt; stat -c '%u:%g' /owned/plain.txt; ls /glob",
               check=True).stdout
    assert out == "inner\n65534:65534\nplain.txt\n"


def test_built_image_saves_and_runs_in_podman(hull, tmp_path):
    if shutil.which("podman") is None:
        pytest.fail("podman is a test dependency (scripts/install-deps)")
    ctx = tmp_path / "ctx"
    write(str(ctx / "Containerfile"),
          "FROM busybox\nRUN echo from-hull-build > /msg\nCMD [\"cat\", \"/msg\"]\n")
    build(hull, ctx, "-t", "localhost/podcheck:1")
    archive = tmp_path / "img.tar"
    hull("save", "-o", archive, "localhost/podcheck:1", check=True)
    proot = tempfile.mkdtemp(prefix="hpod")  # podman wants a short runroot
    pod = ["podman", "--root", proot + "/root", "--runroot", proot + "/run", "--storage-driver",
           "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none", "--runtime", "runc", "--tmpdir",
           proot + "/tmp"]
    try:
        r = subprocess.run(pod + ["load", "-i", str(archive)], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        r = subprocess.run(pod + ["run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024",
                                  "--ulimit", "nproc=1024:1024", "localhost/podcheck:1"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "from-hull-build\n"
    finally:
        subprocess.run(pod + ["rm", "-af"], capture_output=True, timeout=120)
        subprocess.run(pod + ["system", "reset", "-f"], capture_output=True, timeout=120)
        subprocess.run(["umount", "-R", proot + "/root"], stderr=subprocess.DEVNULL)
        shutil.rmtree(proot, ignore_errors=True)


def test_run_steps_on_a_user_network_resolve_its_containers(hull, tmp_path):
    """`--network NAME`: RUN steps join a user network, where container names resolve; an
    unknown network is a one-line error naming the step, and leaves no image."""
    from net_helpers import create_network
    subnet, _ = create_network(hull, "bnet")
    prefix = subnet.rsplit(".", 1)[0] + "."
    hull.run_d("--name", "bpeer", "--network", "bnet", "busybox", "sleep", "1000")
    peer_ip = hull.inspect("bpeer")["NetworkSettings"]["Networks"]["bnet"]["IPAddress"]
    write(tmp_path / "Containerfile",
          "FROM busybox\n"
          "RUN nslookup bpeer > /lookup 2>&1; ip -4 addr show eth0 > /addr\n")
    build(hull, tmp_path, "-t", "netbuilt", "--network", "bnet")
    out = hull("run", "--rm", "--network", "none", "netbuilt", "cat", "/lookup", "/addr",
               check=True).stdout
    assert peer_ip in out and f"inet {prefix}" in out, out
    r = build(hull, tmp_path, "-t", "nonet", "--network", "nosuchnet", "--no-cache", check=False)
    assert r.returncode != 0 and "Containerfile:2" in r.stderr and "nosuchnet" in r.stderr
    assert hull("images", "-q", "nonet").stdout == ""
    hull("rm", "-f", "bpeer", check=True)

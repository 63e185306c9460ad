"""`hull export` | `hull import`: a container's root filesystem as a flat tar archive and back
into an image, keeping owners, modes, times, symlinks, hard links, devices and fifos (compared
with `tar -tvf` listings); running containers, volumes left out, compressed input, failures."""
import gzip
import json
import os
import subprocess

from hull_helpers import hull  # noqa: F401  (fixture)

CAPS = ["--cap-add", "CHOWN", "--cap-add", "FOWNER", "--cap-add", "MKNOD", "--cap-add", "FSETID",
        "--cap-add", "DAC_OVERRIDE"]
MAKE_TREE = ("mkdir -p /d/sub && echo hello > /d/f && chown 1000:2000 /d/f && chmod 4750 /d/f && "
             "ln -s ../d/f /d/sub/link && chown -h 7:8 /d/sub/link && ln /d/f /d/hard && "
             "mkfifo /d/fifo && mknod /d/null c 1 3 && touch -d '2001-02-03 04:05:06' /d/f && "
             "chmod 1777 /d/sub")


def listing(path):
    """`tar -tvf` with numeric owners, sorted by name (readdir order differs between trees)."""
    r = subprocess.run(["tar", "--numeric-owner", "-tvf", path], capture_output=True, text=True,
                       check=True)
    return sorted(r.stdout.splitlines(), key=lambda line: line.split(None, 5)[5])


def entry(lines, name):
    found = [line for line in lines if line.split(None, 5)[5].split(" ")[0] == name]
    assert len(found) == 1, (name, found)
    return found[0]


def test_export_import_round_trip(hull, tmp_path):
    hull("run", "--name", "exsrc", *CAPS, "busybox", "sh", "-c", MAKE_TREE, check=True)
    a = str(tmp_path / "a.tar")
    with open(a, "wb") as f:
        r = subprocess.run(hull.cmd("export", "exsrc"), stdout=f, stderr=subprocess.PIPE,
                           env=hull.env, timeout=120)
    assert r.returncode == 0 and r.stderr == b""
    la = listing(a)
    assert entry(la, "d/f").split()[:3] == ["-rwsr-x---", "1000/2000", "6"]
    assert "2001-02-03 04:05" in entry(la, "d/f")
    assert entry(la, "d/hard").startswith("hrwsr-x--- 1000/2000") and \
        entry(la, "d/hard").endswith("d/hard link to d/f")
    assert entry(la, "d/sub/link").startswith("lrwxrwxrwx 7/8") and \
        entry(la, "d/sub/link").endswith("-> ../d/f")
    assert entry(la, "d/sub/").startswith("drwxrwxrwt 0/0")
    assert entry(la, "d/fifo").startswith("prw-r--r--")
    assert entry(la, "d/null").split()[:3] == ["crw-r--r--", "0/0", "1,3"]
    assert entry(la, "bin/busybox").startswith("-rwxr-xr-x")
    assert not any(line.split(None, 5)[5] in ("./", "/") for line in la)
    # import from stdin, name it, and export a container of the new image: the same tree.
    with open(a, "rb") as f:
        r = subprocess.run(hull.cmd("import", "-", "localhost/imported:1"), stdin=f,
                           capture_output=True, text=True, env=hull.env, timeout=120)
    assert r.returncode == 0, r.stderr
    image_id = r.stdout.strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71
    hull("create", "--name", "excopy", "localhost/imported:1", "true", check=True)
    b = str(tmp_path / "b.tar")
    hull("export", "-o", b, "excopy", check=True)
    assert listing(b) == la
    assert not [n for n in os.listdir(tmp_path) if ".hull-export-" in n]
    # the imported image runs (a command is needed: its config is empty)
    r = hull("run", "--rm", "localhost/imported:1", "ls", "-ln", "/d/f", "/d/hard", check=True)
    assert r.stdout.count("1000     2000") == 2 or r.stdout.count("1000 2000") == 2, r.stdout
    hist = hull("history", "--format", "{{.Comment}}|{{.Size}}", "localhost/imported:1",
                check=True).stdout
    assert hist.startswith("Imported from -|")


def test_export_running_container_without_volumes(hull, tmp_path):
    hull.run_d("--name", "exrun", "-v", "exvol:/data", "busybox", "sh", "-c",
               "echo alive > /tmp/state; echo vol > /data/v; sleep 60")
    hull.wait_for(lambda: hull("exec", "exrun", "cat", "/tmp/state").stdout == "alive\n",
                  what="the container's file")
    out = str(tmp_path / "run.tar")
    hull("export", "--output", out, "exrun", check=True)
    names = [line.split(None, 5)[5] for line in listing(out)]
    assert "tmp/state" in names
    assert not any(n.startswith("data/") and n != "data/" for n in names)
    r = subprocess.run(["tar", "-xOf", out, "tmp/state"], capture_output=True, check=True)
    assert r.stdout == b"alive\n"
    assert hull.state("exrun")["Running"]


def test_import_compressed_and_failures(hull, tmp_path):
    hull("create", "--name", "exgz", "busybox", "true", check=True)
    plain = str(tmp_path / "c.tar")
    hull("export", "-o", plain, "exgz", check=True)
    gz = str(tmp_path / "c.tar.gz")
    with open(plain, "rb") as src, gzip.open(gz, "wb") as dst:
        dst.write(src.read())
    r = hull("import", "-m", "from gzip", gz, "gzipped", check=True)
    assert hull("history", "--format", "{{.Comment}}", "docker.io/library/gzipped:latest",
                check=True).stdout == "from gzip\n"
    assert hull("image", "inspect", "gzipped", check=True).stdout.count(r.stdout.strip()) >= 1
    before = hull("images", "-q", "--no-trunc", check=True).stdout
    blobs = os.path.join(hull.root, "images", "blobs", "sha256")
    stored = sorted(os.listdir(blobs))
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar archive\n" * 100)
    r = hull("import", str(junk), "junk:1")
    assert r.returncode == 1 and "Unrecognized archive format" in r.stderr and r.stdout == ""
    assert sorted(os.listdir(blobs)) == stored  # nothing half-made is left
    r = hull("import", str(tmp_path / "missing.tar"))
    assert r.returncode == 1 and "missing.tar" in r.stderr
    r = hull("import", plain, "Bad Name")
    assert r.returncode == 125
    assert hull("images", "-q", "--no-trunc", check=True).stdout == before
    r = hull("export", "-o", str(tmp_path / "c.tar"), "nosuch")
    assert r.returncode == 1 and "nosuch" in r.stderr
    r = hull("export", "-o", str(tmp_path / "no" / "dir.tar"), "exgz")
    assert r.returncode == 1 and not (tmp_path / "no").exists()
    r = hull("export")
    assert r.returncode == 125


def test_import_with_changes(hull, tmp_path):
    """docker import --change: config-only instructions applied in order to the empty config."""
    hull("create", "--name", "exch", "busybox", "true", check=True)
    plain = str(tmp_path / "ch.tar")
    hull("export", "-o", plain, "exch", check=True)
    r = hull("import", "-c", 'CMD ["echo", "hi there"]', "--change", "ENV A=1 B=2",
             "-c", "WORKDIR /tmp", "-c", "LABEL k=v", "-c", "ENV A=3", plain, "changed:1",
             check=True)
    image_id = r.stdout.strip()
    config = json.loads(hull("image", "inspect", "--format", "{{json .Config}}", "changed:1",
                             check=True).stdout)
    assert config["Cmd"] == ["echo", "hi there"] and config["Labels"] == {"k": "v"}
    assert config["Env"] == ["A=3", "B=2"] and config["WorkingDir"] == "/tmp"
    assert hull("run", "--rm", "changed:1", check=True).stdout == "hi there\n"
    out = hull("run", "--rm", "changed:1", "sh", "-c", "echo $A$B $(pwd)", check=True).stdout
    assert out == "32 /tmp\n"
    # A build-only instruction is a usage error, and nothing is stored.
    before = hull("images", "-q", "--no-trunc", check=True).stdout
    r = hull("import", "-c", "RUN true", plain, "changed:2")
    assert r.returncode == 125 and r.stdout == ""
    assert r.stderr.strip() == "hull: --change `RUN true`: RUN is not a valid change command"
    assert hull("images", "-q", "--no-trunc", check=True).stdout == before
    assert image_id.split(":")[1] in before.split()

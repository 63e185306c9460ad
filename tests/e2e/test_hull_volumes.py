"""Volumes (bind, named, anonymous, tmpfs) across containers, and `hull cp` both ways."""
import json
import os
import tarfile

import pytest

from hull_helpers import hull  # noqa: F401  (fixture)
from image_helpers import add_file, add_link, add_tree, tar_bytes, write_oci_layout


def test_bind_and_named_volumes_persist_across_containers(hull, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "in").write_text("from host\n")
    r = hull("run", "--rm", "-v", f"{src}:/b", "-v", "shared:/data", "busybox", "sh", "-c",
             "cat /b/in; echo written > /b/out; echo kept > /data/file")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from host\n"
    assert (src / "out").read_text() == "written\n"
    r = hull("run", "--rm", "--mount", "type=volume,source=shared,target=/again,readonly",
             "busybox", "sh", "-c", "cat /again/file; touch /again/x")
    assert r.stdout == "kept\n"
    assert "Read-only file system" in r.stderr
    (vol,) = json.loads(hull("volume", "inspect", "shared", check=True).stdout)
    assert vol["Name"] == "shared" and vol["UsedBy"] == []
    with open(os.path.join(vol["Mountpoint"], "file")) as f:
        assert f.read() == "kept\n"


def test_bind_read_only_and_missing_source_created(hull, tmp_path):
    missing = tmp_path / "made" / "by" / "hull"
    r = hull("run", "--rm", "-v", f"{missing}:/m:ro", "busybox", "sh", "-c", "touch /m/x")
    assert r.returncode != 0 and "Read-only" in r.stderr
    assert missing.is_dir()


def test_volume_in_use_is_kept_and_anonymous_removed_with_rm_v(hull):
    hull("create", "--name", "user", "-v", "named:/n", "-v", "/anon", "busybox", check=True)
    vols = hull("volume", "ls", "-q", check=True).stdout.split()
    assert "named" in vols and len(vols) == 2
    r = hull("volume", "rm", "named")
    assert r.returncode == 1 and "in use by container" in r.stderr
    hull("rm", "-v", "user", check=True)
    assert hull("volume", "ls", "-q", check=True).stdout.split() == ["named"]
    assert hull("volume", "rm", "named", check=True).stdout == "named\n"
    r = hull("volume", "rm", "named")
    assert r.returncode == 1 and "no such volume" in r.stderr


def test_volume_commands(hull):
    assert hull("volume", "create", "v1", check=True).stdout == "v1\n"
    anon = hull("volume", "create", check=True).stdout.strip()
    assert len(anon) == 64
    listed = json.loads(hull("volume", "ls", "--format", "json", check=True).stdout)
    assert sorted(v["Name"] for v in listed) == sorted(["v1", anon])
    assert hull("volume", "create", "bad/name").returncode == 125
    pruned = hull("volume", "prune", check=True).stdout
    assert "v1" in pruned and anon in pruned
    assert hull("volume", "ls", "-q", check=True).stdout == ""


def test_tmpfs_mount(hull):
    r = hull("run", "--rm", "--tmpfs", "/t:size=1m,mode=750", "busybox", "sh", "-c",
             "grep ' /t ' /proc/mounts")
    assert r.returncode == 0, r.stderr
    fields = r.stdout.split()
    assert fields[2] == "tmpfs"
    assert "size=1024k" in fields[3] and "noexec" in fields[3] and "mode=750" in fields[3]


def test_cp_both_ways_running_and_stopped(hull, tmp_path):
    hull("create", "--name", "box", "busybox", "sh", "-c", "cat /in/hello.txt; sleep 30",
         check=True)
    d = tmp_path / "in"
    d.mkdir()
    (d / "hello.txt").write_text("hello via cp\n")
    os.chmod(d / "hello.txt", 0o640)
    os.symlink("hello.txt", d / "link")
    # Into a stopped (created) container: the directory lands as /in.
    assert hull("cp", str(d), "box:/").returncode == 0
    hull("start", "box", check=True)
    hull.wait_for(lambda: "hello via cp" in hull.logs("box").stdout, what="output")
    # Out of the running container, into an existing directory and to a new name.
    out = tmp_path / "out"
    out.mkdir()
    assert hull("cp", "box:/in", str(out)).returncode == 0
    assert (out / "in" / "hello.txt").read_text() == "hello via cp\n"
    assert os.stat(out / "in" / "hello.txt").st_mode & 0o777 == 0o640
    assert os.readlink(out / "in" / "link") == "hello.txt"
    assert hull("cp", "box:/etc/hostname", str(tmp_path / "hn")).returncode == 0
    # Symlinks inside the container cannot lead the copy out of its root.
    hull("stop", "-t", "0", "box", check=True)
    evil = tmp_path / "evil"
    evil.mkdir()
    os.symlink("/", evil / "escape")
    assert hull("cp", str(evil / "escape"), "box:/escape").returncode == 0
    (tmp_path / "payload").write_text("x")
    r = hull("cp", str(tmp_path / "payload"), "box:/escape/tmp/")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists("/tmp/payload") or open("/tmp/payload").read() != "x"
    r = hull("cp", "box:/escape/tmp/payload", str(tmp_path / "back"))
    assert r.returncode == 0 and (tmp_path / "back").read_text() == "x"
    # The stopped container's filesystem is unmounted again after the copy.
    with open("/proc/self/mountinfo") as f:
        assert hull.root not in f.read()


def test_cp_reaches_volumes_tmpfs_and_provided_etc_files(hull, tmp_path):
    # Running: the paths the container's processes see, mounts included.
    cid = hull.run_d("--name", "vols", "-v", "cpvol:/data", "--tmpfs", "/scratch", "busybox",
                     "sh", "-c", "echo in-volume > /data/f; echo in-tmpfs > /scratch/t; sleep 30")
    hull.wait_for(lambda: hull("exec", "vols", "test", "-e", "/scratch/t").returncode == 0,
                  what="files written")
    assert hull("cp", "vols:/data/f", str(tmp_path / "f")).returncode == 0
    assert (tmp_path / "f").read_text() == "in-volume\n"
    assert hull("cp", "vols:/scratch/t", str(tmp_path / "t")).returncode == 0
    assert (tmp_path / "t").read_text() == "in-tmpfs\n"
    assert hull("cp", "vols:/etc/hostname", str(tmp_path / "hn")).returncode == 0
    assert (tmp_path / "hn").read_text().strip() == cid[:12]
    (tmp_path / "new").write_text("copied in\n")
    assert hull("cp", str(tmp_path / "new"), "vols:/data/").returncode == 0
    assert hull("cp", str(tmp_path / "new"), "vols:/scratch/").returncode == 0
    r = hull("exec", "vols", "cat", "/data/new", "/scratch/new", check=True)
    assert r.stdout == "copied in\ncopied in\n"
    # A path that climbs out still stays inside the container's root.
    r = hull("cp", "vols:/../../../../etc/shadow", str(tmp_path / "shadow"))
    assert r.returncode == 1 and not (tmp_path / "shadow").exists()
    # Stopped: the volume's files are reached through the volume; a tmpfs has nothing.
    hull("stop", "-t", "0", "vols", check=True)
    assert hull("cp", "vols:/data/new", str(tmp_path / "again")).returncode == 0
    assert (tmp_path / "again").read_text() == "copied in\n"
    assert hull("cp", str(tmp_path / "new"), "vols:/data/while-stopped").returncode == 0
    r = hull("run", "--rm", "-v", "cpvol:/v", "busybox", "cat", "/v/while-stopped", check=True)
    assert r.stdout == "copied in\n"
    r = hull("cp", "vols:/scratch/t", str(tmp_path / "t2"))
    assert r.returncode == 1 and "tmpfs" in r.stderr and len(r.stderr.splitlines()) == 1


def test_cp_errors(hull, tmp_path):
    hull("create", "--name", "cc", "busybox", check=True)
    assert hull("cp", "a", "b").returncode == 125
    assert hull("cp", "cc:/a", "cc:/b").returncode == 125
    r = hull("cp", "cc:/no/such/file", str(tmp_path / "x"))
    assert r.returncode == 1 and r.stderr.startswith("hull: cp:")
    r = hull("cp", "nosuch:/etc", str(tmp_path))
    assert r.returncode == 1 and "no such container" in r.stderr


@pytest.fixture(scope="module")
def volume_image_layout(busybox_rootfs, tmp_path_factory):
    """busybox plus /app (owned 123:456, mode 0750, a file and a symlink) declared a VOLUME."""
    layout = str(tmp_path_factory.mktemp("volimg") / "layout")

    def entries(t):
        add_tree(t, busybox_rootfs)
        info = tarfile.TarInfo("app")
        info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o750, 123, 456
        t.addfile(info)
        add_file(t, "app/seed.txt", b"from the image\n", mode=0o640, uid=123, gid=456)
        add_link(t, "app/link", "seed.txt")

    write_oci_layout(layout, [(tar_bytes(entries), "plain")], tag="vol", config_extra={
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Volumes": {"/app": {}}}})
    return layout


def test_new_volumes_are_filled_from_the_image_like_dockers(hull, volume_image_layout):
    hull("pull", f"oci:{volume_image_layout}:vol", check=True)
    image = "localhost/layout:vol"
    # A named volume mounted where the image has files gets them, owners and modes kept.
    # (As the files' owner: hull's default capabilities do not include DAC_OVERRIDE.)
    r = hull("run", "--rm", "-u", "123:456", "-v", "appdata:/app", image, "sh", "-c",
             "stat -c '%u:%g %a' /app /app/seed.txt; readlink /app/link; cat /app/seed.txt; "
             "echo changed > /app/seed.txt", check=True)
    assert r.stdout.splitlines() == ["123:456 750", "123:456 640", "seed.txt", "from the image"]
    # Not empty any more: the next container sees the change, not a fresh copy.
    r = hull("run", "--rm", "-u", "123", "-v", "appdata:/app", image, "cat", "/app/seed.txt",
             check=True)
    assert r.stdout == "changed\n"
    # The image's VOLUME becomes an anonymous volume, filled the same way.
    r = hull("run", "--rm", "-u", "123", image, "sh", "-c", "grep ' /app ' /proc/mounts >/dev/null && "
             "cat /app/seed.txt", check=True)
    assert r.stdout == "from the image\n"
    # A volume that already has content is left as it is; a bind mount is never filled.
    hull("volume", "create", "full", check=True)
    hull("run", "--rm", "-v", "full:/x", "busybox", "touch", "/x/mine", check=True)
    r = hull("run", "--rm", "-v", "full:/app", image, "ls", "/app", check=True)
    assert r.stdout.split() == ["mine"]

"""Image names as docker handles them: a RepoTag `hull load` drops is named, `rmi` of one of an
image's names only untags it, one SIZE per image id, the 255-character limit on the normalised
name; image events; `unpause --help`."""
import io
import json
import re
import tarfile
import time

from hull_helpers import hull  # noqa: F401  (fixture)


def docker_archive(oci_tar, dest, repo_tags):
    """A docker-archive of the image in an OCI archive (same blobs + manifest.json)."""
    src = tarfile.open(oci_tar)
    index = json.load(src.extractfile("index.json"))
    digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.load(src.extractfile(f"blobs/sha256/{digest}"))
    entry = {"Config": "blobs/sha256/" + manifest["config"]["digest"].split(":")[1],
             "RepoTags": repo_tags,
             "Layers": ["blobs/sha256/" + l["digest"].split(":")[1] for l in manifest["layers"]]}
    with tarfile.open(dest, "w") as out:
        for m in src.getmembers():
            out.addfile(m, src.extractfile(m) if m.isfile() else None)
        data = json.dumps([entry]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))


def images_rows(hull):
    rows = hull("images", check=True).stdout.splitlines()[1:]
    return [re.split(r"\s{2,}", r.strip()) for r in rows]


def test_load_names_dropped_tag_and_rmi_untags_one_name(hull, tmp_path):
    hull("run", "--rm", "busybox", "true", check=True)
    since = f"{time.time() - 0.001:.9f}"
    oci = tmp_path / "b.tar"
    hull("save", "-o", oci, "busybox", check=True)
    arch = tmp_path / "d.tar"
    docker_archive(oci, arch, ["reftest:one", "reftest:two", "BAD:tag"])
    r = hull("load", "-i", arch, check=True)
    assert "dropped the archive's RepoTag `BAD:tag`" in r.stderr, r.stderr
    rows = images_rows(hull)
    mine = [row for row in rows if row[0].endswith("reftest")]
    assert sorted(row[1] for row in mine) == ["one", "two"]
    # One image id, one size, whatever name lists it.
    ids = {row[2] for row in mine}
    assert len(ids) == 1
    assert len({row[-1] for row in rows if row[2] in ids}) == 1
    r = hull("rmi", "reftest:one", check=True)
    assert r.stdout.strip() == "Untagged: docker.io/library/reftest:one"
    assert [row[1] for row in images_rows(hull) if row[0].endswith("reftest")] == ["two"]
    hull("run", "--rm", "reftest:two", "true", check=True)
    r = hull("rmi", "reftest:two", check=True)
    assert "Untagged: docker.io/library/reftest:two" in r.stdout
    evs = [json.loads(l) for l in hull("events", "--since", since, "--until", "0s", "-f",
                                       "type=image", "--format", "{{json .}}",
                                       check=True).stdout.splitlines()]
    assert [(e["Action"], e["Actor"]["ID"]) for e in evs
            if e["Actor"]["ID"].startswith("docker.io/library/reftest")] == [
        ("load", "docker.io/library/reftest:one"),
        ("untag", "docker.io/library/reftest:one"), ("untag", "docker.io/library/reftest:two")]


def test_normalised_name_longer_than_255_is_refused(hull):
    name = "a" * (256 - len("docker.io/library/"))
    r = hull("run", "--rm", "--pull", "never", name, "true")
    assert r.returncode == 125
    assert "repository name must not be more than 255 characters" in r.stderr
    assert "is 256)" in r.stderr
    ok = "a" * (255 - len("docker.io/library/"))
    r = hull("run", "--rm", "--pull", "never", ok, "true")
    assert r.returncode == 125 and f"image `{ok}` not known" in r.stderr, r.stderr



def test_pause_and_unpause_help(hull):
    r = hull("unpause", "--help", check=True)
    assert r.stdout.startswith("Usage: hull unpause CONTAINER [CONTAINER...]")
    assert "hull pause" not in r.stdout.splitlines()[0]
    r = hull("pause", "--help", check=True)
    assert r.stdout.startswith("Usage: hull pause CONTAINER [CONTAINER...]")
    assert "unpause CONTAINER" not in r.stdout

"""`hull commit`: a container's changes (new, changed and deleted files) as a new layer, the
container's command kept, --change/-m/-a applied; running the committed image shows them."""
import json

from hull_helpers import hull  # noqa: F401  (fixture)


def test_commit_then_run_shows_the_change(hull):
    hull("run", "--name", "src", "-e", "FROM_RUN=1", "busybox", "sh", "-c",
         "echo committed > /hello; mkdir -p /data/sub; echo x > /data/sub/f; rm /etc/group; "
         "chmod 700 /data", check=True)
    r = hull("commit", "-m", "my message", "-a", "Jane <jane@example.com>",
             "--change", 'CMD ["cat", "/hello"]', "--change", "ENV ADDED=yes",
             "--change", "LABEL team=ops", "--change", "EXPOSE 8080",
             "src", "snap:v1", check=True)
    image_id = r.stdout.strip()
    assert image_id.startswith("sha256:")
    assert hull("run", "--rm", "snap:v1", check=True).stdout == "committed\n"
    out = hull("run", "--rm", "snap:v1", "sh", "-c",
               "cat /data/sub/f; stat -c %a /data; test -e /etc/group && echo present || "
               "echo deleted; echo $ADDED $FROM_RUN", check=True).stdout
    assert out == "x\n700\ndeleted\nyes 1\n"
    info = json.loads(hull("image", "inspect", "localhost/snap:v1", check=True).stdout)[0]
    assert info["Id"] == image_id
    assert info["Author"] == "Jane <jane@example.com>"
    assert info["Config"]["Labels"] == {"team": "ops"}
    assert "8080/tcp" in info["Config"]["ExposedPorts"]
    base = json.loads(hull("image", "inspect", "busybox", check=True).stdout)[0]
    assert len(info["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
    # The mount points hull made for /etc/hosts and friends are not part of the layer.
    ls = hull("run", "--rm", "--entrypoint", "", "snap:v1", "sh", "-c",
              "wc -c < /etc/hostname", check=True)
    assert ls.stdout.strip() != "0"
    hull("rm", "src", check=True)


def test_commit_refusals(hull):
    r = hull("commit", "nosuch")
    assert r.returncode != 0 and "nosuch" in r.stderr
    hull("run", "--name", "c2", "busybox", "true", check=True)
    r = hull("commit", "--change", "RUN true", "c2")
    assert r.returncode != 0
    assert r.stderr.strip() == "hull: --change `RUN true`: RUN is not a valid change command"
    r = hull("commit", "c2", "Bad:Name::")
    assert r.returncode == 125
    hull("rm", "c2", check=True)

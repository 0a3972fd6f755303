"""import_environment end to end: images built here from files (no registry, no
docker), imported, then booted in real VMs."""

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

import pyro
from conftest import pyro_home

pytestmark = pytest.mark.vm

BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static: runs in any root
APPLETS = ["sh", "ls", "cat", "echo", "id", "stat", "test"]


def _add_file(tar, name, data: bytes, mode=0o644, uid=0, gid=0):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.uid, info.gid = len(data), mode, uid, gid
    tar.addfile(info, io.BytesIO(data))


def _add_symlink(tar, name, target):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    tar.addfile(info)


def _add_dir(tar, name, mode=0o755):
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, mode
    tar.addfile(info)


def _layer(build) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    return buf.getvalue()


def base_layer(tar):
    for d in ["bin", "etc", "tmp", "gone", "data"]:
        _add_dir(tar, d)
    _add_file(tar, "bin/busybox", BUSYBOX.read_bytes(), mode=0o755)
    for applet in APPLETS:
        _add_symlink(tar, f"bin/{applet}", "busybox")
    _add_file(tar, "etc/os-release", b"ID=pyro-import-test\n")
    _add_file(tar, "gone/file", b"deleted by the next layer\n")
    _add_file(tar, "data/owned", b"secret\n", mode=0o640, uid=1234, gid=4321)


def top_layer(tar):
    _add_file(tar, "etc/os-release", b"ID=pyro-import-test\nVERSION=2\n")
    _add_file(tar, ".wh.gone", b"")  # whiteout: removes /gone from the layer below


def write_docker_save(path: Path, tag: str):
    layers = [_layer(base_layer), _layer(top_layer)]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]},
    }).encode()
    with tarfile.open(path, "w") as out:
        names = []
        for i, data in enumerate(layers):
            names.append(f"layer{i}/layer.tar")
            _add_file(out, names[-1], data)
        _add_file(out, "config.json", config)
        _add_file(out, "manifest.json", json.dumps(
            [{"Config": "config.json", "RepoTags": [tag], "Layers": names}]).encode())


def write_oci_layout(root: Path, ref: str):
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": "sha256:" + digest, "size": len(data)}

    raw_layers = [_layer(base_layer), _layer(top_layer)]
    layers = [dict(blob(gzip.compress(l, mtime=0)), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
              for l in raw_layers]
    config = dict(blob(json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in raw_layers]},
    }).encode()), mediaType="application/vnd.oci.image.config.v1+json")
    manifest = dict(blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config, "layers": layers,
    }).encode()), mediaType="application/vnd.oci.image.manifest.v1+json",
        annotations={"org.opencontainers.image.ref.name": ref})
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest]}))


def check_booted_image(client, name):
    r = client.run_in_vm(name, "cat /etc/os-release; test -e /gone && echo gone-still-there; "
                               "stat -c '%u:%g %a' /data/owned; ls /workspace >/dev/null && echo ws")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "ID=pyro-import-test\nVERSION=2\n1234:4321 640\nws\n"


def test_import_docker_save_tarball_and_boot_it(client, busybox, tmp_path):
    src = tmp_path / "image.tar"
    write_docker_save(src, "pyro-import-test:1")
    events = []
    info = client.import_environment("pyro-import-docker", src, force=True, progress=events.append)
    assert info.installed and info.source == "import" and info.has_rootfs
    stages = [e.stage for e in events]
    assert stages == sorted(stages, key=["unpack image", "make image"].index), stages
    layers = [e for e in events if e.unit == "layers"]
    assert layers and {e.total for e in layers} == {2} and layers[-1].done == 2, events
    assert [e.done for e in layers] == sorted(e.done for e in layers)
    assert info.name in {e.name for e in client.list_environments()}
    check_booted_image(client, "pyro-import-docker")


def test_import_oci_layout_directory_and_boot_it(client, busybox, tmp_path):
    write_oci_layout(tmp_path / "layout", "1.0")
    info = client.import_environment("pyro-import-oci:1.0", tmp_path / "layout", force=True)
    assert client.inspect_environment("pyro-import-oci:1.0").sha256 == info.sha256
    check_booted_image(client, "pyro-import-oci:1.0")


def test_import_refuses_escapes_and_leaves_nothing(client, busybox, tmp_path):
    def evil(tar):
        base_layer(tar)
        _add_file(tar, "../escaped", b"x")

    src = tmp_path / "evil.tar"
    layer = _layer(evil)
    with tarfile.open(src, "w") as out:
        _add_file(out, "l/layer.tar", layer)
        _add_file(out, "config.json", b"{}")
        _add_file(out, "manifest.json", json.dumps([{"Config": "config.json", "Layers": ["l/layer.tar"]}]).encode())
    with pytest.raises(pyro.InvalidArgumentError):
        client.import_environment("pyro-import-evil", src, force=True)
    with pytest.raises(pyro.NotFoundError):
        client.inspect_environment("pyro-import-evil")
    assert not (tmp_path / "escaped").exists()


def test_import_name_rules(client, busybox, tmp_path):
    src = tmp_path / "image.tar"
    write_docker_save(src, "t:1")
    with pytest.raises(pyro.AlreadyExistsError):
        client.import_environment("busybox", src)  # catalog names are reserved
    with pytest.raises(pyro.InvalidArgumentError):
        client.import_environment("Bad Name", src)
    with pytest.raises(pyro.NotFoundError):
        client.import_environment("pyro-import-missing", tmp_path / "nope.tar")
    client.import_environment("pyro-import-twice", src, force=True)
    with pytest.raises(pyro.AlreadyExistsError):
        client.import_environment("pyro-import-twice", src)


def test_prune_all_in_a_private_home(tmp_path, busybox):
    home = tmp_path / "home"
    # Reuse the suite's boot set instead of rebuilding it: copy busybox in.
    shutil.copytree(pyro_home() / "environments" / "busybox", home / "environments" / "busybox")
    src = tmp_path / "image.tar"
    write_docker_save(src, "t:1")
    with pyro.Pyro(home=str(home)) as private:
        private.import_environment("pyro-import-prune", src)
        dry = private.prune_environments(all=True, dry_run=True)
        assert any("img_pyro-import-prune" in p for p in dry.removed)
        assert private.inspect_environment("pyro-import-prune").installed
        done = private.prune_environments(all=True)
        assert done.bytes_freed > 0
        with pytest.raises(pyro.NotFoundError):
            private.inspect_environment("pyro-import-prune")
        assert not private.inspect_environment("busybox").installed

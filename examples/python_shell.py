"""An interactive shell and a web service inside a workspace.

    PYTHONPATH=<build>/python python3 examples/python_shell.py [environment]

A shell keeps its state (cwd, variables) between writes, unlike exec_workspace;
its output is read from a cursor, so a client that reconnects can replay it. A
service runs in the background under the guest agent, and with the network
policy "egress+published-ports" its port is reachable from the host on 127.0.0.1.
"""

import sys
import time
import urllib.request

import pyro


def read_until(client, workspace_id, shell_id, marker, cursor=0, timeout=30.0):
    """Shell output from `cursor` until `marker` appears; returns (text, next cursor)."""
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        out = client.read_shell(workspace_id, shell_id, cursor=cursor, wait_seconds=2)
        seen += out.output
        cursor = out.next_cursor
    return seen, cursor


def shell_demo(client, workspace_id) -> bool:
    shell = client.open_shell(workspace_id)
    try:
        client.write_shell(workspace_id, shell.shell_id, "cd /tmp && export GREETING=hi\n")
        # $((6*7)) is expanded by the shell, so the echoed input never matches the marker.
        client.write_shell(workspace_id, shell.shell_id, 'echo "$GREETING from $(pwd)"; echo END-$((6*7))\n')
        output, _ = read_until(client, workspace_id, shell.shell_id, "END-42")
        print(output)
        return "hi from /tmp" in output
    finally:
        client.close_shell(workspace_id, shell.shell_id)


def service_demo(client, workspace_id) -> bool:
    client.write_workspace_file(workspace_id, "www/index.html", "<h1>hello from a pyro service</h1>\n")
    svc = client.start_service(
        workspace_id, "web", "httpd -f -p 0.0.0.0:8080 -h /workspace/www",
        readiness={"type": "http", "url": "http://127.0.0.1:8080/index.html"},
        published_ports=[8080])
    port = svc.published_ports[0]
    print(f"service {svc.name}: {svc.state}, guest port {port.guest_port} -> {port.host}:{port.host_port}")
    try:
        with urllib.request.urlopen(f"http://{port.host}:{port.host_port}/index.html", timeout=10) as r:
            body = r.read().decode()
        print(body)
        return "hello from a pyro service" in body
    finally:
        client.stop_service(workspace_id, "web")


def main() -> int:
    environment = sys.argv[1] if len(sys.argv) > 1 else "busybox"
    with pyro.Pyro() as client:
        ws = client.create_workspace(environment, network_policy="egress+published-ports")
        try:
            ok = shell_demo(client, ws.workspace_id) and service_demo(client, ws.workspace_id)
        finally:
            client.delete_workspace(ws.workspace_id)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Start a local cluster of worker processes on 127.0.0.1: free ports, TF_CONFIG, logs, reaping."""

import json
import os
import socket
import subprocess
import time


def free_ports(count):
    """`count` distinct TCP ports that were free a moment ago on 127.0.0.1."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(addresses, index, job="worker"):
    """The `TF_CONFIG` of task `index` in a cluster of `addresses` ("host:port")."""
    return json.dumps({"cluster": {job: list(addresses)}, "task": {"type": job, "index": index}})


def launch(command, workers, log_dir, env=None):
    """Start `command` (a list) once per worker, each with its TF_CONFIG, output in `log_dir/worker-<i>.log`.

    Returns the `subprocess.Popen`s; always `reap` them.
    """
    os.makedirs(log_dir, exist_ok=True)
    addresses = [f"127.0.0.1:{port}" for port in free_ports(workers)]
    processes = []
    for index in range(workers):
        worker_env = dict(os.environ if env is None else env)
        worker_env["TF_CONFIG"] = tf_config(addresses, index)
        log = open(os.path.join(log_dir, f"worker-{index}.log"), "a")
        processes.append(subprocess.Popen(command, env=worker_env, stdout=log, stderr=subprocess.STDOUT))
        log.close()
    return processes


def reap(processes, timeout=None):
    """Wait up to `timeout` seconds (None: forever) for every process, kill what is left; return the exit codes
    (None for a process that had to be killed)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    codes = []
    for process in processes:
        try:
            remaining = None if deadline is None else max(0.1, deadline - time.monotonic())
            codes.append(process.wait(remaining))
        except subprocess.TimeoutExpired:
            codes.append(None)
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()
    return codes

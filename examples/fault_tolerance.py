"""Fault tolerance: kill a worker mid-training, restart the cluster, training completes from the last backup.

    python examples/fault_tolerance.py --work-dir ft_run

1. Starts 2 workers (examples/multi_worker.py, 3 epochs, backups in WORK_DIR/backup) on 127.0.0.1.
2. When worker 1 is inside epoch 2, kills it with SIGKILL. The chief then waits in an all-reduce that will
   never complete, so the whole cluster is stopped — as a cluster manager restarts failed jobs.
3. Starts the cluster again with the same arguments: every worker reloads the backup of epoch 1 and trains
   epochs 2 and 3 only.
4. Checks that epoch 1 was not redone, that both workers finished with the same, finite weights, and prints
   a one-line JSON summary. Exit status 0 when all of that holds.
"""

import argparse
import json
import os
import signal
import sys
import time

from keras_dlx.distribute import cluster

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_for(path, predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                if predicate(f.read()):
                    return True
        time.sleep(0.1)
    return False


def inside_epoch_2(log):
    _, _, after = log.partition("keras_dlx: epoch 2 begins")
    return after.count("keras_dlx: epoch step") >= 2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", default="fault_tolerance_run")
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--step-delay", type=float, default=0.1)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    out, backup = os.path.join(args.work_dir, "out"), os.path.join(args.work_dir, "backup")
    command = [sys.executable, os.path.join(HERE, "multi_worker.py"), "--epochs", "3", "--samples",
               str(args.samples), "--backup-dir", backup, "--output-dir", out, "--step-delay", str(args.step_delay)]

    first_logs = os.path.join(args.work_dir, "logs-first")
    processes = cluster.launch(command, 2, first_logs)
    try:
        if not wait_for(os.path.join(first_logs, "worker-1.log"), inside_epoch_2, args.timeout):
            print("keras_dlx: worker 1 never reached epoch 2", file=sys.stderr)
            return 1
        os.kill(processes[1].pid, signal.SIGKILL)
        print("keras_dlx: killed worker 1 (SIGKILL) during epoch 2; stopping the cluster", flush=True)
    finally:
        cluster.reap(processes, timeout=5)
    with open(os.path.join(backup, "state.json")) as f:
        backed_up = json.load(f)["epoch"] + 1

    second_logs = os.path.join(args.work_dir, "logs-restart")
    codes = cluster.reap(cluster.launch(command, 2, second_logs), timeout=args.timeout)
    results = []
    for index in range(2):
        with open(os.path.join(out, f"worker-{index}.json")) as f:
            results.append(json.load(f))
    summary = {"killed_in_epoch": 2, "backed_up_epochs": backed_up, "restart_exit_codes": codes,
               "epochs_run_after_restart": [r["epochs_run"] for r in results],
               "same_weights": len({r["weights_sha256"] for r in results}) == 1,
               "finite": all(r["finite"] for r in results)}
    print("keras_dlx: fault tolerance summary " + json.dumps(summary), flush=True)
    ok = (codes == [0, 0] and backed_up == 1 and summary["same_weights"] and summary["finite"]
          and all(r["epochs_run"] == [2, 3] for r in results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

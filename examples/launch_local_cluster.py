"""Start N workers on 127.0.0.1 with free ports and TF_CONFIG, wait for them, print their logs.

    python examples/launch_local_cluster.py --workers 2 -- python examples/multi_worker.py --epochs 2

Each worker gets `TF_CONFIG={"cluster": {"worker": ["127.0.0.1:<p0>", ...]}, "task": {"type": "worker",
"index": i}}`; its output goes to LOG_DIR/worker-<i>.log. On several machines, set TF_CONFIG yourself on each
(see examples/multi_worker.py) instead of using this launcher. Exit status: 0 when every worker succeeded.
"""

import argparse
import os
import sys

from keras_dlx.distribute import cluster


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-dir", default="cluster_logs")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before every worker is killed")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the worker command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the worker command after --")
    processes = cluster.launch(command, args.workers, args.log_dir)
    codes = cluster.reap(processes, args.timeout)
    for index, code in enumerate(codes):
        with open(os.path.join(args.log_dir, f"worker-{index}.log")) as f:
            print(f"----- worker {index} (exit {code}) -----\n{f.read()}")
    return 0 if all(code == 0 for code in codes) else 1


if __name__ == "__main__":
    sys.exit(main())

"""What the machine computes fast: the dtype policy that `--precision auto` picks.

Importing this module imports neither Keras nor TensorFlow; `resolve_precision` asks TensorFlow for GPUs only when
it is not told them and the Keras backend is TensorFlow.
"""

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
# x86 flags (Linux /proc/cpuinfo) of CPUs with bfloat16 arithmetic: AVX512-BF16 (Cooper Lake, Zen 4 and later) and
# AMX-BF16 (Sapphire Rapids and later). Without them TensorFlow emulates bfloat16, and mixed_bfloat16 is slower.
BFLOAT16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
CPUINFO = "/proc/cpuinfo"


def _read_cpuinfo():
    """The text of /proc/cpuinfo, or None and why it could not be read (there is none on macOS or Windows)."""
    path = CPUINFO
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read(), None
    except OSError as error:
        return None, f"{path} is unreadable ({error.strerror or error})"


def bfloat16_cpu_flags(cpuinfo):
    """The flags of `BFLOAT16_CPU_FLAGS` on the `flags` lines of a /proc/cpuinfo text, in that order."""
    flags = set()
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            flags.update(value.split())
    return [flag for flag in BFLOAT16_CPU_FLAGS if flag in flags]


def _visible_gpus():
    """The GPUs the Keras backend sees (Keras's public device list, so no TensorFlow import here)."""
    import keras

    try:
        return list(keras.distribution.list_devices("gpu"))
    except RuntimeError:  # JAX raises when it has no GPU platform at all
        return []


def resolve_precision(precision="auto", gpus=None, cpuinfo=None):
    """The dtype policy for `precision`, and why: `"auto"` picks what the hardware computes natively.

    - a GPU: `"mixed_float16"` (float16 tensor cores; Keras adds loss scaling when compiling);
    - else a CPU whose /proc/cpuinfo flags include `avx512_bf16` or `amx_bf16`: `"mixed_bfloat16"`;
    - else, or when /proc/cpuinfo cannot be read: `"float32"`.

    Mixed precision keeps the variables in float32, so only the compute dtype changes. Any other `precision` is
    returned as it is, "requested".

    Args:
        precision: `"auto"` or a policy of `POLICIES`.
        gpus: the names of the GPUs to train on; None: those TensorFlow sees (none on other backends).
        cpuinfo: the text of /proc/cpuinfo; None: read it.

    Returns:
        `(policy, reason)`, e.g. `("mixed_bfloat16", "no GPU and the CPU computes bfloat16 natively
        (avx512_bf16)")`.

    Example:

    >>> resolve_precision("auto", gpus=[], cpuinfo="flags\\t\\t: fpu sse avx512f avx512_bf16\\n")[0]
    'mixed_bfloat16'
    """
    if precision in POLICIES:
        return precision, "requested"
    if precision != "auto":
        raise ValueError(f"Invalid `precision`: expected 'auto' or one of {POLICIES}. Received: {precision!r}")
    gpus = _visible_gpus() if gpus is None else list(gpus)
    if gpus:
        return "mixed_float16", f"{len(gpus)} GPU(s) compute float16 natively ({', '.join(gpus)})"
    if cpuinfo is None:
        cpuinfo, unreadable = _read_cpuinfo()
        if cpuinfo is None:
            return "float32", f"no GPU and {unreadable}"
    flags = bfloat16_cpu_flags(cpuinfo)
    if flags:
        return "mixed_bfloat16", f"no GPU and the CPU computes bfloat16 natively ({', '.join(flags)})"
    return "float32", f"no GPU and the CPU has no bfloat16 arithmetic (none of {', '.join(BFLOAT16_CPU_FLAGS)})"

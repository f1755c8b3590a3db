"""Same-process, alternating benchmarks of keras_dlx layers against their peers (`python -m benchmarks.layers`)."""

"""The engine: state arrays, counter-based random numbers, numba kernels and the day loop."""

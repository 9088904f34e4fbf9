"""A module of plain Python helpers, none a CUDA device function: what test_compilecheck's rhs call by mistake."""


def decay(t, y, p, dydt):
    """A first-order decay, undecorated (a chemist's helper module)."""
    dydt[0] = -p[0] * y[0]

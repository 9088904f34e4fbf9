"""Exceptions of the planner package.

Every error a user can cause is one of these, with a message that names the
offending value, what was expected, and where possible a remedy.
"""


class BufferplanError(Exception):
    """Root of every error bufferplan raises on purpose, in ``planner`` and in ``kernels``.

    ``kernels.KernelError`` is this class, so a planner error raised through
    the kernels is caught as a kernels error too.
    """


class PlannerError(BufferplanError):
    """Root of every error raised by the planner."""


class ConfigurationError(PlannerError, ValueError):
    """An argument, a buffer declaration or a problem file is invalid."""


class KeywordError(ConfigurationError, TypeError):
    """A keyword a declaration does not take (``Buffer(..., lifetme=...)``): a ConfigurationError naming the one it
    does, and a TypeError as Python's own was, so code that caught that still does."""


class InfeasibleError(PlannerError):
    """The pinned buffers cannot fit the shared-memory budget."""


class LocalMemoryError(InfeasibleError):
    """The buffers a plan keeps local pass CUDA's local memory per thread (512 KiB): no kernel could launch."""


class PlanError(PlannerError):
    """A Plan breaks one of the rules that ``Plan.verify`` checks.

    ``rule`` names the rule (for example ``"no-overlap"``) so that callers
    and the CLI can report which rule failed; ``buffer`` names the buffer a
    per-buffer rule failed on where one is known (else None).
    """

    def __init__(self, rule, message, buffer=None):
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.buffer = buffer

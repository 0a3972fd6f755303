"""pyro: run commands for LLM agents inside QEMU microVMs.

    import pyro

    with pyro.Pyro() as p:
        r = p.run_in_vm("busybox", "echo hello")
        print(r.exit_code, r.stdout)

Everything here comes from the C++ core through the `pyro._core` extension;
this package only re-exports it. Operation names match spec/operations.json,
and every failure is a `pyro.Error` subclass carrying `.code` and `.message`.
"""

from pyro._core import (
    AgentProtocolError,
    AlreadyExistsError,
    CancelledError,
    DeadlineExceededError,
    DoctorCheck,
    DoctorReport,
    EnvironmentInfo,
    Error,
    ExecResult,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    LogLevel,
    NotFoundError,
    PermissionDeniedError,
    PruneResult,
    Pyro,
    ResourceExhaustedError,
    UnavailableError,
    UnimplementedError,
    UserError,
    VmCrashedError,
    VmInfo,
    __version__,
    set_log_handler,
)

__all__ = [
    "AgentProtocolError",
    "AlreadyExistsError",
    "CancelledError",
    "DeadlineExceededError",
    "DoctorCheck",
    "DoctorReport",
    "EnvironmentInfo",
    "Error",
    "ExecResult",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "LogLevel",
    "NotFoundError",
    "PermissionDeniedError",
    "PruneResult",
    "Pyro",
    "ResourceExhaustedError",
    "UnavailableError",
    "UnimplementedError",
    "UserError",
    "VmCrashedError",
    "VmInfo",
    "__version__",
    "set_log_handler",
]

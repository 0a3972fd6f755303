"""pyro: run commands for LLM agents inside QEMU microVMs.

    import pyro

    with pyro.Pyro() as p:
        r = p.run_in_vm("busybox", "echo hello")
        print(r.exit_code, r.stdout)

        ws = p.create_workspace("busybox", seed_path="project")   # persists until deleted
        p.exec_workspace(ws.workspace_id, "make test")

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
    ExportResult,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    LogLevel,
    NotFoundError,
    PatchFileReport,
    PatchHunkReport,
    PatchResult,
    PermissionDeniedError,
    PruneResult,
    PublishedPort,
    PushResult,
    Pyro,
    ResourceExhaustedError,
    ServiceInfo,
    ServiceLogs,
    ShellInfo,
    ShellOutput,
    UnavailableError,
    UnimplementedError,
    UserError,
    VmCrashedError,
    VmInfo,
    WorkspaceDiff,
    WorkspaceDiffEntry,
    WorkspaceFileContent,
    WorkspaceFileEntry,
    WorkspaceInfo,
    WorkspaceSnapshotInfo,
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
    "ExportResult",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "LogLevel",
    "NotFoundError",
    "PatchFileReport",
    "PatchHunkReport",
    "PatchResult",
    "PermissionDeniedError",
    "PruneResult",
    "PublishedPort",
    "PushResult",
    "Pyro",
    "ResourceExhaustedError",
    "ServiceInfo",
    "ServiceLogs",
    "ShellInfo",
    "ShellOutput",
    "UnavailableError",
    "UnimplementedError",
    "UserError",
    "VmCrashedError",
    "VmInfo",
    "WorkspaceDiff",
    "WorkspaceDiffEntry",
    "WorkspaceFileContent",
    "WorkspaceFileEntry",
    "WorkspaceInfo",
    "WorkspaceSnapshotInfo",
    "__version__",
    "set_log_handler",
]

using Snapcat.Core.Errors;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Client;

/// <summary>The server answered a request with an error (§9). The connection stays usable.</summary>
public sealed class NbdCommandException : SnapcatException
{
    public NbdCommandException(NbdCommand command, NbdError error, string message)
        : base(ErrorKind.Remote, "nbd.command_failed", message)
    {
        Command = command;
        Error = error;
    }

    public NbdCommand Command { get; }

    public NbdError Error { get; }

    internal static string Name(NbdError e) => e switch
    {
        NbdError.Perm => "EPERM",
        NbdError.Io => "EIO",
        NbdError.NoMem => "ENOMEM",
        NbdError.Invalid => "EINVAL",
        NbdError.NoSpace => "ENOSPC",
        NbdError.Overflow => "EOVERFLOW",
        NbdError.NotSupported => "ENOTSUP",
        NbdError.Shutdown => "ESHUTDOWN",
        _ => $"error {(uint)e}",
    };
}

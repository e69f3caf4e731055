using System.Diagnostics.CodeAnalysis;

namespace Snapcat.Core.Errors;

/// <summary>
/// The root of every error Snapcat raises on purpose. Each error carries a stable machine-readable
/// <see cref="Code"/> (sent over the control APIs as <c>error.code</c>) and a <see cref="Kind"/> that the
/// HTTP layers map to a status code in one place (<see cref="ErrorKindHttp"/>).
/// Messages are written for the administrator: what went wrong and, where possible, what to do.
/// </summary>
public class SnapcatException : Exception
{
    public SnapcatException(ErrorKind kind, string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Code = code;
    }

    public ErrorKind Kind { get; }

    /// <summary>Stable dotted identifier, e.g. <c>volume.not_found</c>. Part of the API contract.</summary>
    public string Code { get; }
}

/// <summary>Broad classes of failure. Persisted nowhere; mapped to HTTP status and CLI exit codes.</summary>
public enum ErrorKind
{
    /// <summary>The request itself is wrong (bad size, bad name, malformed record). HTTP 400.</summary>
    Invalid,
    /// <summary>No credentials or wrong credentials. HTTP 401.</summary>
    Unauthorized,
    /// <summary>Credentials are fine but the action is not allowed (e.g. a hook not configured). HTTP 403.</summary>
    Forbidden,
    /// <summary>The named thing does not exist. HTTP 404.</summary>
    NotFound,
    /// <summary>The action conflicts with current state (volume in use, LUN taken). HTTP 409.</summary>
    Conflict,
    /// <summary>A peer (array, agent, NBD server) could not be reached or failed. HTTP 502.</summary>
    Remote,
    /// <summary>Local I/O or an invariant failed. HTTP 500.</summary>
    Internal,
    /// <summary>The disk (or quota) holding the daemon's files is full; retry once space is freed. HTTP 507.</summary>
    StorageFull,
}

/// <summary>Throw helpers so that call sites stay one line and the JIT keeps hot paths small.</summary>
public static class Throw
{
    [DoesNotReturn]
    public static void Invalid(string code, string message) => throw new SnapcatException(ErrorKind.Invalid, code, message);

    [DoesNotReturn]
    public static void NotFound(string code, string message) => throw new SnapcatException(ErrorKind.NotFound, code, message);

    [DoesNotReturn]
    public static void Conflict(string code, string message) => throw new SnapcatException(ErrorKind.Conflict, code, message);

    [DoesNotReturn]
    public static void Forbidden(string code, string message) => throw new SnapcatException(ErrorKind.Forbidden, code, message);

    [DoesNotReturn]
    public static void Remote(string code, string message, Exception? inner = null) => throw new SnapcatException(ErrorKind.Remote, code, message, inner);

    [DoesNotReturn]
    public static void StorageFull(string message, Exception? inner = null) => throw new SnapcatException(ErrorKind.StorageFull, StorageErrors.FullCode, message, inner);

    [DoesNotReturn]
    public static void Internal(string code, string message, Exception? inner = null) => throw new SnapcatException(ErrorKind.Internal, code, message, inner);
}

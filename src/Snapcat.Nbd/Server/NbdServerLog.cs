using System.Net;
using Microsoft.Extensions.Logging;

namespace Snapcat.Nbd.Server;

/// <summary>Source-generated log messages of the NBD server (no formatting cost when disabled).</summary>
internal static partial class NbdServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "NBD server listening on {EndPoint}")]
    public static partial void Listening(this ILogger log, IPEndPoint endPoint);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "NBD connection from {Peer}")]
    public static partial void Accepted(this ILogger log, string peer);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "NBD {Peer}: transmission on export '{Export}' (flags 0x{Flags:x4})")]
    public static partial void ExportOpened(this ILogger log, string peer, string export, ushort flags);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "NBD {Peer}: protocol violation, closing: {Reason}")]
    public static partial void ProtocolViolation(this ILogger log, string peer, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "NBD {Peer}: closed ({Reason})")]
    public static partial void Closed(this ILogger log, string peer, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "NBD {Peer}: {Command} at {Offset}+{Length} failed with {Error}")]
    public static partial void CommandFailed(this ILogger log, string peer, string command, ulong offset, uint length, string error, Exception ex);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "NBD {EndPoint}: refused {Count} connection(s) since the last such message (logged at most once per {IntervalSeconds} s); the latest from {Peer}: {Reason}")]
    public static partial void ConnectionsRefused(this ILogger log, IPEndPoint endPoint, int count, double intervalSeconds, string peer, string reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "NBD {Peer}: unexpected failure, closing")]
    public static partial void Unexpected(this ILogger log, string peer, Exception ex);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "NBD {Peer}: export '{Export}' not found")]
    public static partial void UnknownExport(this ILogger log, string peer, string export);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "NBD {Peer}: TLS up ({Session}), identity '{Identity}'")]
    public static partial void TlsStarted(this ILogger log, string peer, string session, string identity);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "NBD {Peer}: TLS handshake ({Kind}) failed, closing: {Reason}")]
    public static partial void TlsFailed(this ILogger log, string peer, string kind, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "NBD {Peer}: option {Option} before STARTTLS on a port that requires TLS")]
    public static partial void TlsRequired(this ILogger log, string peer, uint option);
}

using Snapcat.Core.Errors;

namespace Snapcat.Nbd.Client;

/// <summary>
/// The server broke the protocol (bad magic, impossible length, reply for an unknown cookie…). The
/// stream cannot be resynchronised, so the connection is broken once and every pending request fails.
/// </summary>
public sealed class NbdProtocolException(string message, Exception? inner = null)
    : SnapcatException(ErrorKind.Remote, "nbd.protocol", message, inner);

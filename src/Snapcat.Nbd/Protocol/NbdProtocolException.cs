using Snapcat.Core.Errors;

namespace Snapcat.Nbd.Protocol;

/// <summary>
/// The peer (client or server) broke the NBD framing (bad magic, impossible length, truncated
/// message, a reply for an unknown cookie). The stream
/// cannot be resynchronised, so the only answer is to drop the connection once (spec §10).
/// </summary>
public sealed class NbdProtocolException(string message, Exception? inner = null)
    : SnapcatException(ErrorKind.Remote, "nbd.protocol", message, inner);

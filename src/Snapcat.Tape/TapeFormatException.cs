using Snapcat.Core.Errors;

namespace Snapcat.Tape;

/// <summary>
/// A cartridge image or a label is not what the format allows (docs/tape-format.md). Carries the byte
/// offset in the image where the problem was found when there is one, so an administrator can look at it
/// with a hex viewer or <c>hetmap</c>.
/// </summary>
public sealed class TapeFormatException : SnapcatException
{
    public TapeFormatException(string code, string message, long? offset = null)
        : base(ErrorKind.Invalid, code, offset is { } o ? $"{message} (at byte offset {o})" : message)
    {
        Offset = offset;
    }

    public long? Offset { get; }
}

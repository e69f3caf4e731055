namespace Snapcat.Cli.Commands;

/// <summary>The command line itself is incomplete or contradictory; exit code 2 like a parse error.</summary>
public sealed class UsageException(string code, string message)
    : SnapcatException(ErrorKind.Invalid, code, message);

namespace Snapcat.Agent.Hooks;

/// <summary>
/// A hook ran and failed: it exited non-zero (code hook.failed), ran past its timeout and was killed
/// with its process tree (hook.timeout), or could not be started at all (hook.start_failed).
/// </summary>
public sealed class HookFailedException : SnapcatException
{
    public HookFailedException(string code, HookRef hook, HookPhase phase, string message, int? exitCode = null, Exception? inner = null)
        : base(ErrorKind.Internal, code, message, inner)
    {
        Hook = hook;
        Phase = phase;
        ExitCode = exitCode;
    }

    public HookRef Hook { get; }
    public HookPhase Phase { get; }
    public int? ExitCode { get; }
    public bool TimedOut => Code == "hook.timeout";
}

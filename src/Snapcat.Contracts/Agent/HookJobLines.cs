using System.Globalization;
using System.Text.RegularExpressions;

namespace Snapcat.Contracts.Agent;

/// <summary>
/// The two kinds of agent job log lines a hook leaves, in a form the backup server reads back (it copies them into its
/// own job's log and logs the outcome):
/// <code>
///   [NAME STREAM] TEXT                                          one line of the hook's output (STREAM: stdout, stderr; note: output left out)
///   hook run: PHASE NAME on MOUNT: OUTCOME, exit CODE, SECONDS s  once per run, when it has ended
/// </code>
/// NAME is the configured hook's name, or "raw" for raw command text; PHASE is preprocess or postprocess; MOUNT is the
/// mount point or "-"; OUTCOME is succeeded, failed, timed-out, cancelled or not-started; CODE is "-" when there is none.
/// The agent keeps at most <see cref="HeadBytes"/> + <see cref="TailBytes"/> of each run's output in the job log.
/// </summary>
public static partial class HookJobLines
{
    /// <summary>Output of one hook run kept from its start, streamed into the job log as it comes.</summary>
    public const int HeadBytes = 32 * 1024;
    /// <summary>Output of one hook run kept from its end (written when the hook has ended, after a line saying how much was left out).</summary>
    public const int TailBytes = 32 * 1024;

    public const string RunPrefix = "hook run:";

    public static string Output(string hook, string stream, string text) => $"[{hook} {stream}] {text}";

    public static bool TryParseOutput(string message, out string hook, out string stream, out string text)
    {
        ArgumentNullException.ThrowIfNull(message);
        var m = OutputLine().Match(message);
        hook = m.Success ? m.Groups["hook"].Value : "";
        stream = m.Success ? m.Groups["stream"].Value : "";
        text = m.Success ? m.Groups["text"].Value : "";
        return m.Success;
    }

    public static string Run(HookRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        string exit = run.ExitCode is { } c ? c.ToString(CultureInfo.InvariantCulture) : "-";
        return $"{RunPrefix} {run.Phase} {run.Hook} on {run.MountPoint ?? "-"}: {run.Outcome}, exit {exit}, {run.Seconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
    }

    public static HookRun? TryParseRun(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var m = RunLine().Match(message);
        if (!m.Success) return null;
        string mount = m.Groups["mount"].Value;
        return new HookRun(m.Groups["phase"].Value, m.Groups["hook"].Value, mount == "-" ? null : mount, m.Groups["outcome"].Value,
            m.Groups["exit"].Value == "-" ? null : int.Parse(m.Groups["exit"].Value, CultureInfo.InvariantCulture),
            double.Parse(m.Groups["seconds"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^\[(?<hook>[^\] ]+) (?<stream>stdout|stderr|note)\] (?<text>.*)$", RegexOptions.Singleline)]
    private static partial Regex OutputLine();

    [GeneratedRegex(@"^hook run: (?<phase>\S+) (?<hook>\S+) on (?<mount>.+): (?<outcome>succeeded|failed|timed-out|cancelled|not-started), exit (?<exit>-?\d+|-), (?<seconds>\d+(\.\d+)?) s$")]
    private static partial Regex RunLine();
}

/// <summary>How one hook run ended (<see cref="HookJobLines.Run"/>).</summary>
public sealed record HookRun(string Phase, string Hook, string? MountPoint, string Outcome, int? ExitCode, double Seconds);

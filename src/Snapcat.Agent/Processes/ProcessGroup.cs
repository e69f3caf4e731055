using System.Globalization;
using System.Runtime.InteropServices;

namespace Snapcat.Agent.Processes;

/// <summary>
/// A hook's process group, as the pending-thaw journal records it: the group ID (the hook's PID, since
/// every hook starts as the leader of its own session and group), the leader's start time in clock
/// ticks since boot (/proc/PID/stat field 22) and the boot ID. Together they tell, at the next agent
/// start, whether the group found under that ID is still the hook's or a later process that was given
/// the same number.
/// </summary>
public sealed record HookProcessGroup(int Pgid, long LeaderStartTicks, string BootId)
{
    /// <summary>The group a process just started as leader of, read from /proc; null when it is already gone.</summary>
    public static HookProcessGroup? Of(int pid)
    {
        var stat = ProcessStat.Read(pid);
        return stat is null ? null : new HookProcessGroup(stat.Value.Pgid, stat.Value.StartTicks, ProcessStat.BootId());
    }
}

/// <summary>What /proc/PID/stat says about a process (proc(5)): state, process group, start time.</summary>
public readonly record struct ProcessStat(int Pid, char State, int Pgid, long StartTicks)
{
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>
    /// /proc/PID/stat is "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    /// utime stime cutime cstime priority nice threads itrealvalue starttime …". comm may hold spaces and
    /// parentheses, so fields are counted from the LAST ')'.
    /// </summary>
    public static ProcessStat? Read(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return Parse(pid, text);
    }

    public static ProcessStat? Parse(int pid, string text)
    {
        int close = text.LastIndexOf(')');
        if (close < 0) return null;
        var f = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // f[0] = state (field 3), f[2] = pgrp (field 5), f[19] = starttime (field 22).
        if (f.Length < 20 || f[0].Length != 1) return null;
        if (!int.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out int pgid)) return null;
        if (!long.TryParse(f[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out long start)) return null;
        return new ProcessStat(pid, f[0][0], pgid, start);
    }

    /// <summary>Every live (not zombie) process of a group.</summary>
    public static IReadOnlyList<ProcessStat> MembersOf(int pgid)
    {
        var members = new List<ProcessStat>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (Read(pid) is { } s && s.Pgid == pgid && !s.IsZombie) members.Add(s);
        }
        return members;
    }

    public static string BootId()
    {
        try { return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (IOException) { return ""; }
    }
}

/// <summary>kill(2) of a whole process group, which .NET does not offer.</summary>
public static partial class ProcessSignals
{
    public const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>SIGKILL to every process of the group; false when the group no longer exists (ESRCH).</summary>
    public static bool KillGroup(int pgid)
    {
        // A non-positive pgid would mean "my own group" or "every process": never send those.
        if (pgid <= 1) throw new ArgumentOutOfRangeException(nameof(pgid), pgid, "not a hook's process group");
        return Kill(-pgid, SigKill) == 0;
    }
}

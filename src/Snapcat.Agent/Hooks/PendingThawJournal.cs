using System.Text.Json;
using Snapcat.Agent.Processes;
using Snapcat.Core.Storage;

namespace Snapcat.Agent.Hooks;

/// <summary>
/// Durable record of postprocesses that are owed. One small JSON file per entry in the agent's
/// state directory (pending-thaw/), each written atomically (DurableFile.WriteAtomic).
///
/// Failure policy: recording happens BEFORE the preprocess runs, and if it fails the preprocess does
/// not run — an application frozen by a preprocess that nobody remembers to thaw is the failure this
/// journal exists to prevent. Removal happens AFTER the postprocess ran; if the agent dies in between
/// the postprocess runs once more at the next start, so postprocesses should be safe to repeat
/// ("thaw" of something not frozen, "mount" of something mounted).
/// </summary>
public sealed class PendingThawJournal
{
    private const string Suffix = ".json";
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _recovering = new(StringComparer.Ordinal);

    public PendingThawJournal(string directory, TimeProvider? time = null)
    {
        _directory = directory;
        _time = time ?? TimeProvider.System;
        DurableFile.CreateDirectory(directory);
    }

    public string DirectoryPath => _directory;

    /// <summary>Durably records that <paramref name="postprocess"/> is owed for this invocation; returns the entry.</summary>
    public PendingThaw Record(HookInvocation invocation, HookRef? preprocess, HookRef postprocess)
    {
        var entry = new PendingThaw
        {
            Id = $"{SafeName(invocation.JobId)}-{Guid.NewGuid():N}",
            JobId = invocation.JobId,
            Operation = invocation.Operation,
            Preprocess = preprocess,
            Postprocess = postprocess,
            MountPoint = invocation.MountPoint,
            Label = invocation.Label,
            Extra = invocation.Extra,
            RecordedAt = _time.GetUtcNow(),
            AgentPid = Environment.ProcessId,
        };
        DurableFile.WriteAtomic(PathOf(entry.Id), JsonSerializer.SerializeToUtf8Bytes(entry, Json));
        return entry;
    }

    /// <summary>Durably forgets an entry once its postprocess ran.</summary>
    public void Remove(PendingThaw entry) => DurableFile.DeleteDurably(PathOf(entry.Id));

    /// <summary>
    /// Entries still owed, oldest first. An unreadable file is renamed to *.corrupt (so that it is not
    /// retried forever) and reported through <paramref name="log"/>.
    /// </summary>
    public IReadOnlyList<PendingThaw> List(LogSink? log = null)
    {
        var entries = new List<PendingThaw>();
        foreach (string file in Directory.EnumerateFiles(_directory, "*" + Suffix))
        {
            if (Path.GetFileName(file).StartsWith('.')) continue; // a temporary file of an interrupted write
            try
            {
                var e = JsonSerializer.Deserialize<PendingThaw>(File.ReadAllBytes(file), Json)
                        ?? throw new JsonException("null entry");
                entries.Add(e);
            }
            catch (JsonException ex)
            {
                log?.Error($"pending-thaw entry {file} is unreadable ({ex.Message}); moved aside as {file}.corrupt — check by hand whether its postprocess must run");
                File.Move(file, file + ".corrupt", overwrite: true);
            }
        }
        return entries.OrderBy(e => e.RecordedAt).ToArray();
    }

    /// <summary>
    /// Records, before the agent waits for it, the process group of a hook just started for this entry
    /// (see <see cref="PendingThaw.HookGroup"/>). Returns the updated entry.
    /// </summary>
    public PendingThaw NoteHookStarted(PendingThaw entry, int pid)
    {
        var group = HookProcessGroup.Of(pid);
        if (group is null) return entry;  // exited already: nothing can be left of it to kill
        var updated = entry with { HookGroup = group };
        DurableFile.WriteAtomic(PathOf(entry.Id), JsonSerializer.SerializeToUtf8Bytes(updated, Json));
        return updated;
    }

    /// <summary>Whether an owed postprocess of this mount point is still to run or running (set at agent start).</summary>
    public bool IsRecovering(string? mountPoint) => _recovering.ContainsKey(mountPoint ?? "");

    /// <summary>Marks every owed entry's mount point as recovering, before the API takes any order; returns the entries.</summary>
    public IReadOnlyList<PendingThaw> BeginRecovery(LogSink? log = null)
    {
        var entries = List(log);
        foreach (var e in entries) _recovering.AddOrUpdate(e.MountPoint ?? "", 1, (_, n) => n + 1);
        return entries;
    }

    /// <summary>
    /// Runs one owed postprocess (at agent start, as a job): first the hook group the dead agent left
    /// running is killed and waited for, then the postprocess runs, then the entry is cleared. A
    /// postprocess that fails is logged, its entry cleared and the failure thrown: it ran, and repeating a
    /// failing hook at every start would hide the failure rather than fix it. A group that does not die
    /// keeps the entry and throws: the postprocess must not run beside it.
    /// </summary>
    public async Task RecoverAsync(PendingThaw e, IHookRunner runner, LogSink log, bool begun = true)
    {
        bool survived = false;
        try
        {
            string pre = e.Preprocess?.ToString() ?? "no preprocess";
            log.Warn($"running pending postprocess {e.Postprocess} of job {e.JobId} ({e.Operation ?? "?"}, mount point {e.MountPoint ?? "-"}): " +
                     $"{pre} started at {e.RecordedAt:u} by agent process {e.AgentPid}, which stopped before the postprocess ran");
            try { await KillOrphanAsync(e, log).ConfigureAwait(false); }
            catch (OrphanSurvivedException) { survived = true; throw; }
            var current = e;
            try
            {
                // Not cancellable: a thaw that was owed must not be skipped because the agent stops again.
                await runner.RunAsync(e.Postprocess, e.PostInvocation(), log, CancellationToken.None, pid => current = NoteHookStarted(current, pid)).ConfigureAwait(false);
                log.Info($"pending postprocess {e.Postprocess} of job {e.JobId} ran");
            }
            catch (Exception ex)
            {
                log.Error($"pending postprocess {e.Postprocess} of job {e.JobId} failed: {ex.Message}");
                Remove(e);
                throw;
            }
            Remove(e);
        }
        finally
        {
            // A group that survived keeps its mount point closed to new orders: it may still be freezing.
            if (begun && !survived) EndRecovery(e.MountPoint);
        }
    }

    /// <summary>Runs every owed postprocess, one after another (tests; the daemon runs each as a job).</summary>
    public async Task<int> RunPendingAsync(IHookRunner runner, LogSink log, CancellationToken ct)
    {
        int ran = 0;
        foreach (var e in BeginRecovery(log))
        {
            ct.ThrowIfCancellationRequested();
            try { await RecoverAsync(e, runner, log).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException and not OrphanSurvivedException) { }
            ran++;
        }
        return ran;
    }

    /// <summary>How long an orphaned hook group may take to be gone after SIGKILL before recovery gives up.</summary>
    public static TimeSpan OrphanKillTimeout { get; set; } = TimeSpan.FromSeconds(30);

    private static async Task KillOrphanAsync(PendingThaw e, LogSink log)
    {
        if (e.HookGroup is not { } g) return;
        if (g.BootId != ProcessStat.BootId())
        {
            log.Info($"hook process group {g.Pgid} of job {e.JobId} was recorded before the host restarted; nothing of it is left");
            return;
        }
        var members = ProcessStat.MembersOf(g.Pgid);
        if (members.Count == 0) return;
        // The leader's PID cannot be reused while its group has members, so a leader with another start
        // time means the whole group ended and an unrelated process now has that number.
        if (members.FirstOrDefault(m => m.Pid == g.Pgid) is { Pid: > 0 } leader && leader.StartTicks != g.LeaderStartTicks)
        {
            log.Info($"process group {g.Pgid} now belongs to another process (started later than job {e.JobId}'s hook); not touched");
            return;
        }
        log.Warn($"the hook of job {e.JobId} is still running as process group {g.Pgid} ({members.Count} process(es), PIDs {string.Join(", ", members.Select(m => m.Pid))}) " +
                 "although the agent that started it is gone; killing the group before the postprocess runs");
        ProcessSignals.KillGroup(g.Pgid);
        var deadline = DateTime.UtcNow + OrphanKillTimeout;
        while ((members = ProcessStat.MembersOf(g.Pgid)).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new OrphanSurvivedException(
                    $"process group {g.Pgid} of job {e.JobId}'s hook is still there {OrphanKillTimeout.TotalSeconds:0} s after SIGKILL (PIDs {string.Join(", ", members.Select(m => $"{m.Pid} state {m.State}"))}); " +
                    $"its postprocess {e.Postprocess} was NOT run so that it does not run beside it. The entry stays in {e.Id}.json and runs at the next agent start");
            await Task.Delay(20).ConfigureAwait(false);
            ProcessSignals.KillGroup(g.Pgid);  // a member forked in between
        }
        log.Info($"process group {g.Pgid} of job {e.JobId} is gone");
    }

    private void EndRecovery(string? mountPoint)
    {
        string key = mountPoint ?? "";
        while (_recovering.TryGetValue(key, out int n))
        {
            if (n <= 1 ? _recovering.TryRemove(new KeyValuePair<string, int>(key, n)) : _recovering.TryUpdate(key, n - 1, n)) return;
        }
    }

    private string PathOf(string id) => Path.Combine(_directory, id + Suffix);

    private static string SafeName(string s) =>
        new(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(40).ToArray());

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>An orphaned hook's process group survived SIGKILL: its owed postprocess was not run (code hook.orphan_survived).</summary>
public sealed class OrphanSurvivedException(string message) : SnapcatException(ErrorKind.Conflict, "hook.orphan_survived", message);

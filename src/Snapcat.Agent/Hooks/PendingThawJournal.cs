using System.Text.Json;
using Snapcat.Agent.Logging;
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
    /// Runs every owed postprocess once (called when the agent starts), logging that it does so and why,
    /// then clears the entry. A postprocess that fails is logged and its entry cleared too: it ran, and
    /// repeating a failing hook at every start would hide the failure rather than fix it.
    /// </summary>
    public async Task<int> RunPendingAsync(IHookRunner runner, LogSink log, CancellationToken ct)
    {
        int ran = 0;
        foreach (var e in List(log))
        {
            string pre = e.Preprocess?.ToString() ?? "no preprocess";
            log.Warn($"running pending postprocess {e.Postprocess} of job {e.JobId} ({e.Operation ?? "?"}, mount point {e.MountPoint ?? "-"}): " +
                     $"{pre} started at {e.RecordedAt:u} by agent process {e.AgentPid}, which stopped before the postprocess ran");
            try
            {
                await runner.RunAsync(e.Postprocess, e.PostInvocation(), log, ct).ConfigureAwait(false);
                log.Info($"pending postprocess {e.Postprocess} of job {e.JobId} ran");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.Error($"pending postprocess {e.Postprocess} of job {e.JobId} failed: {ex.Message}");
            }
            Remove(e);
            ran++;
        }
        return ran;
    }

    private string PathOf(string id) => Path.Combine(_directory, id + Suffix);

    private static string SafeName(string s) =>
        new(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(40).ToArray());

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

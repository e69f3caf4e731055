using Snapcat.Server.Api;

namespace Snapcat.Server.Definitions;

/// <summary>
/// Creates and changes backup definitions (FIG. 5) only when they can run: the host has an agent, and a
/// mirror's secondary is in the mount point's copy-to list of the backup volume table (FIG. 4), which is
/// filled from the agent's copy destination list (FIG. 8) when the entry is missing or does not list it. A tape
/// definition names this server's tape library as its device ID (the host's volume may be on any array).
/// Its pre/postprocess names are hooks the agent has (asked with GET /v1/agent; issue 9.11: otherwise they
/// fail at 02:00), and its schedule fires no more often than the server's minimum interval.
/// Every check happens before anything is stored.
/// </summary>
public sealed class DefinitionService(ServerRuntime rt)
{
    public async Task<BackupDefinition> CreateAsync(BackupDefinition d, CancellationToken ct = default)
    {
        d.Validate();
        CheckScheduleInterval(d);
        var volume = await CheckAgainstBackupVolumeTableAsync(d, ct).ConfigureAwait(false);
        await CheckHooksAsync(d, ct).ConfigureAwait(false);
        d = d with { Created = rt.Time.GetUtcNow() };
        await rt.Definitions.CreateAsync(d, ct).ConfigureAwait(false);
        if (volume is not null) await rt.Volumes.SaveAsync(volume, ct).ConfigureAwait(false);
        return await rt.Definitions.GetAsync(d.Name, ct).ConfigureAwait(false);
    }

    public async Task<BackupDefinition> UpdateAsync(BackupDefinition d, CancellationToken ct = default)
    {
        d.Validate();
        CheckScheduleInterval(d);
        var old = await rt.Definitions.GetAsync(d.Name, ct).ConfigureAwait(false);
        var volume = await CheckAgainstBackupVolumeTableAsync(d, ct).ConfigureAwait(false);
        await CheckHooksAsync(d, ct).ConfigureAwait(false);
        await rt.Definitions.UpdateAsync(d with { LastFire = old.LastFire, Created = old.Created, Enabled = old.Enabled }, ct).ConfigureAwait(false);
        if (volume is not null) await rt.Volumes.SaveAsync(volume, ct).ConfigureAwait(false);
        return await rt.Definitions.GetAsync(d.Name, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes the fields <paramref name="patch"/> gives (PATCH, 'snapcat definition update|enable|disable'), with the
    /// checks of <see cref="CreateAsync"/>. Enabling a disabled definition moves its last fire to now: the occurrences
    /// while it was disabled are not missed runs (a run_once definition would otherwise start at once).
    /// </summary>
    public async Task<BackupDefinition> PatchAsync(string name, DefinitionPatch patch, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (patch.IsEmpty)
            Throw.Invalid("definition.nothing_to_change", $"nothing to change in '{name}': give at least one field (schedule, timeZone, label, preHook, postHook, preOnly, keepGenerations, missedRuns, destinationVolume, enabled, retention)");
        var old = await rt.Definitions.GetAsync(name, ct).ConfigureAwait(false);
        static string? Text(string? given, string? current) => given is null ? current : given.Trim().Length == 0 ? null : given.Trim();
        var d = old with
        {
            Schedule = Text(patch.Schedule, old.Schedule),
            TimeZone = Text(patch.TimeZone, old.TimeZone) ?? "UTC",
            Label = patch.Label ?? old.Label,
            PreHook = Text(patch.PreHook, old.PreHook),
            PostHook = Text(patch.PostHook, old.PostHook),
            PreOnly = patch.PreOnly ?? old.PreOnly,
            KeepGenerations = patch.KeepGenerations ?? old.KeepGenerations,
            MissedRuns = patch.MissedRuns ?? old.MissedRuns,
            DestinationVolume = patch.DestinationVolume ?? old.DestinationVolume,
            Enabled = patch.Enabled ?? old.Enabled,
            Retention = patch.Retention is { } retention ? retention.ToPolicy() : old.Retention,
        };
        if (d.Enabled && !old.Enabled)
        {
            var now = rt.Time.GetUtcNow();
            d = d with { LastFire = old.LastFire is { } l && l > now ? l : now };
        }
        // Only enabled or disabled: nothing the checks look at changed, and a host that is down must not keep a definition from being disabled.
        bool onlyEnabled = patch == new DefinitionPatch { Enabled = patch.Enabled };
        d.Validate();
        BackupVolume? volume = null;
        if (!onlyEnabled)
        {
            CheckScheduleInterval(d);
            volume = await CheckAgainstBackupVolumeTableAsync(d, ct).ConfigureAwait(false);
            await CheckHooksAsync(d, ct).ConfigureAwait(false);
        }
        await rt.Definitions.UpdateAsync(d, ct).ConfigureAwait(false);
        if (volume is not null) await rt.Volumes.SaveAsync(volume, ct).ConfigureAwait(false);
        return await rt.Definitions.GetAsync(d.Name, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the backup volume table entry to store when it was fetched from the agent (null when the
    /// catalog's entry already satisfied the definition). Throws a clear error when the definition cannot run.
    /// </summary>
    public async Task<BackupVolume?> CheckAgainstBackupVolumeTableAsync(BackupDefinition d, CancellationToken ct)
    {
        if (!rt.Remotes.KnowsHost(d.Host))
            rt.Remotes.AgentFor(d.Host); // throws host.unknown with the configured hosts
        if (d.KindValue == BackupKind.Tape) CheckTapeDestination(d);

        var entry = await rt.Volumes.GetAsync(d.Host, d.MountPoint, ct).ConfigureAwait(false);
        BackupVolume? fetched = null;
        if (entry is null || !Satisfies(entry, d))
        {
            fetched = await FetchAsync(d.Host, d.MountPoint, ct).ConfigureAwait(false);
            entry = fetched;
        }
        // A tape backup is frozen by a temporary snapshot on whichever array holds the volume; its device ID is the library's.
        if (d.KindValue != BackupKind.Tape && entry.DeviceId != d.DeviceId)
            Throw.Invalid("definition.wrong_array",
                $"{d.Host}:{d.MountPoint} is on array {entry.DeviceId}, but the definition names {d.DeviceId}; a {d.Kind} is made by the array that holds the volume");
        if (d.KindValue == BackupKind.Mirror && !entry.CopyTo.Contains(d.DestinationVolume!.Value))
            Throw.Invalid("definition.volume_not_in_copy_list",
                $"volume {d.DestinationVolume} is not in the copy-to list of {d.Host}:{d.MountPoint} on {entry.DeviceId} " +
                $"(list: {(entry.CopyTo.Count == 0 ? "empty" : string.Join(", ", entry.CopyTo))}); pick one of those, or add it on the array " +
                "with 'snapcat array mirror add'");
        return fetched;
    }

    private void CheckScheduleInterval(BackupDefinition d)
    {
        var minimum = rt.MinimumScheduleInterval;
        if (d.ShortestInterval(rt.Time.GetUtcNow()) is { } gap && gap < minimum)
            Throw.Invalid("definition.schedule_too_frequent",
                $"schedule '{d.Schedule}' of '{d.Name}' starts a run every {Seconds(gap)} at times; this server runs a definition at most every " +
                $"{Seconds(minimum)} (scheduling.minimumIntervalSeconds in server.json)");
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s";

    /// <summary>The hook names against the agent's own list; an agent that cannot be asked refuses the definition too.</summary>
    private async Task CheckHooksAsync(BackupDefinition d, CancellationToken ct)
    {
        var named = new[] { ("preprocess", d.PreHook), ("postprocess", d.PostHook) }.Where(h => h.Item2 is not null).ToArray();
        if (named.Length == 0) return;
        Snapcat.Contracts.Agent.AgentInfo info;
        try
        {
            info = await rt.Remotes.AgentFor(d.Host).GetAgentAsync(ct).ConfigureAwait(false);
        }
        catch (SnapcatException ex) when (ex.Kind is ErrorKind.Remote or ErrorKind.NotFound)
        {
            throw new SnapcatException(ErrorKind.Remote, "definition.hooks_unchecked",
                $"the hook names of '{d.Name}' cannot be checked: the agent of {d.Host} did not list its hooks ({ex.Message}); try again when it answers", ex);
        }
        var unknown = named.Where(h => !info.Hooks.Contains(h.Item2!, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
            Throw.Invalid("definition.hook_unknown",
                string.Join("; ", unknown.Select(h => $"the {h.Item1} '{h.Item2}' is not a hook of the agent of {d.Host}")) +
                $" (its hooks: {(info.Hooks.Count == 0 ? "none" : string.Join(", ", info.Hooks))}); configure it in the agent's hooks, or name one of those");
    }

    /// <summary>A tape definition streams to this server's library: its device ID must be the library's ID.</summary>
    private void CheckTapeDestination(BackupDefinition d)
    {
        var library = rt.Tapes;
        if (library is null)
            Throw.Invalid("definition.no_tape_library",
                $"definition '{d.Name}' is a tape backup, but this server has no tape library (add a tapeLibrary section to server.json)");
        if (d.DeviceId != library.LibraryId)
            Throw.Invalid("definition.wrong_library",
                $"definition '{d.Name}' is a tape backup to {d.DeviceId}, but this server's tape library is {library.LibraryId}; name it as the device ID");
    }

    /// <summary>FIG. 8 through the agent: the mount point's array and copy-to volume list.</summary>
    public async Task<BackupVolume> FetchAsync(string host, string mountPoint, CancellationToken ct)
    {
        var list = await rt.Remotes.AgentFor(host).GetCopyDestinationsAsync(mountPoint, ct).ConfigureAwait(false);
        return new BackupVolume(host, mountPoint, list.DeviceId, list.CopyTo);
    }

    private static bool Satisfies(BackupVolume entry, BackupDefinition d) =>
        (d.KindValue == BackupKind.Tape || entry.DeviceId == d.DeviceId) && (d.KindValue != BackupKind.Mirror || entry.CopyTo.Contains(d.DestinationVolume!.Value));
}

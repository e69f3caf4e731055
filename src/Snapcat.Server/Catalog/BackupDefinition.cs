using Cronos;
using Snapcat.Core.Json;
using Snapcat.Server.Retention;

namespace Snapcat.Server.Catalog;

/// <summary>One row of the backup definition table (FIG. 5): what to back up, where to, when, and how.</summary>
public sealed record BackupDefinition
{
    public required string Name { get; init; }
    public required string Host { get; init; }
    public required string MountPoint { get; init; }
    /// <summary>
    /// <c>mirror</c>, <c>snapshot</c> or <c>tape</c>: the text the catalog column and the API carry, the encoded name of
    /// <see cref="BackupKind"/>, which is what the code decides on.
    /// </summary>
    public required string Kind { get; init; }

    /// <summary>The kind as its type, what flows decide on; null for a text that is none of <see cref="Kinds"/> (<see cref="Problems"/> says so).</summary>
    public BackupKind? KindValue => Kinds.Contains(Kind) && SnapcatJson.TryParse<BackupKind>(Kind, out var k) ? k : null;

    /// <summary>Destination array (mirror, snapshot) or tape library device ID.</summary>
    public required string DeviceId { get; init; }
    /// <summary>Mirror only: the secondary volume number, which must be in the backup volume table's list.</summary>
    public uint? DestinationVolume { get; init; }
    public string? PreHook { get; init; }
    public string? PostHook { get; init; }
    /// <summary>
    /// A preprocess with no postprocess is allowed only when this says so (issue 15.3): a freeze without a
    /// thaw leaves the volume frozen, so the combination must be a decision, not an omission.
    /// </summary>
    public bool PreOnly { get; init; }
    public required string Label { get; init; }
    /// <summary>Cron expression (5 fields, or 6 with seconds); null = run by hand only.</summary>
    public string? Schedule { get; init; }
    public string TimeZone { get; init; } = "UTC";
    /// <summary>Snapshot only: generations kept; older ones are deleted through the delete flow. The older spelling of keep-last.</summary>
    public int? KeepGenerations { get; init; }
    /// <summary>Time-based retention (docs/retention.md); null: only <see cref="KeepGenerations"/>, if any, as keep-last.</summary>
    public RetentionPolicy? Retention { get; init; }

    /// <summary>
    /// The rules a prune applies: <see cref="Retention"/>, with a snapshot's <see cref="KeepGenerations"/> as its keep-last when
    /// it has none (definitions stored before retention existed; other kinds ignored that field, so it still means nothing
    /// for them). A mirror always keeps exactly its last backup (its destination is overwritten by every run). Null: keep everything.
    /// </summary>
    public RetentionPolicy? EffectiveRetention
    {
        get
        {
            if (KindValue == BackupKind.Mirror) return new RetentionPolicy { KeepLast = 1 };
            int? generations = KindValue == BackupKind.Snapshot ? KeepGenerations : null;
            if (Retention is { } r) return r.KeepLast is null && generations is { } g ? r with { KeepLast = g } : r;
            return generations is { } k ? new RetentionPolicy { KeepLast = k } : null;
        }
    }
    /// <summary><c>skip</c> or <c>run_once</c> (the encoded names of <see cref="MissedRunPolicy"/>): what to do about runs missed while the server was down.</summary>
    public string MissedRuns { get; init; } = SnapcatJson.Name(MissedRunPolicy.Skip);

    /// <summary>The policy as its type; null for any other text (<see cref="Problems"/> says so).</summary>
    public MissedRunPolicy? MissedRunsValue => SnapcatJson.Names<MissedRunPolicy>().Contains(MissedRuns) && SnapcatJson.TryParse<MissedRunPolicy>(MissedRuns, out var m) ? m : null;

    public DateTimeOffset? LastFire { get; init; }
    public DateTimeOffset Created { get; init; }
    /// <summary>False: the scheduler never fires it ('snapcat definition disable'); a run by hand still works.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The kinds a definition can have (a copy is made by the copy flows, never by a definition).</summary>
    public static readonly BackupKind[] DefinitionKinds = [BackupKind.Mirror, BackupKind.Snapshot, BackupKind.Tape];

    public static readonly IReadOnlyList<string> Kinds = SnapcatJson.Names(DefinitionKinds);

    private string MissedRunsProblem => $"missed runs must be {string.Join(" or ", SnapcatJson.Names<MissedRunPolicy>().Select(n => $"'{n}'"))}, not '{MissedRuns}'";

    /// <summary>Checks the definition on its own (the backup volume table check needs the catalog); lists every problem.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 64 || Name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/'))
            p.Add("name must be 1 to 64 characters without spaces or '/'");
        if (string.IsNullOrWhiteSpace(Host)) p.Add("host is required");
        if (string.IsNullOrWhiteSpace(MountPoint) || !MountPoint.StartsWith('/')) p.Add("mount point must be an absolute path");
        var kind = KindValue;
        if (kind is null) p.Add($"kind '{Kind}' is not one of {string.Join(", ", Kinds)}");
        if (string.IsNullOrWhiteSpace(DeviceId)) p.Add("destination device ID is required");
        if (kind == BackupKind.Mirror && DestinationVolume is null) p.Add("a mirror definition needs the destination (secondary) volume number");
        if (kind != BackupKind.Mirror && DestinationVolume is not null) p.Add("only a mirror definition names a destination volume");
        if (kind == BackupKind.Snapshot && KeepGenerations is null or < 1 && Retention is null or { KeepsEverything: true })
            p.Add("a snapshot definition needs keep generations (keep-last) of 1 or more, or another retention rule (keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly)");
        if (kind == BackupKind.Snapshot && KeepGenerations is < 1 && Retention is { KeepsEverything: false }) p.Add("keep generations must be 1 or more");
        if (Retention is { KeepLast: { } last } && KeepGenerations is { } gens && gens != last)
            p.Add($"keep generations {gens} and keep-last {last} disagree (keep generations is the older name of keep-last; give one)");
        if (Retention is { } retention) p.AddRange(retention.Problems(kind));
        if (System.Text.Encoding.UTF8.GetByteCount(Label ?? "") is 0 or > 64) p.Add("label must be 1 to 64 bytes (it is written into the volume information)");
        if (PreHook is not null && PostHook is null && !PreOnly) p.Add(PreWithoutPost);
        if (PreOnly && (PreHook is null || PostHook is not null)) p.Add("pre-only marks a definition with a preprocess and no postprocess; this one has " +
            (PreHook is null ? "no preprocess" : "a postprocess too"));
        // Every field the volume information will carry is checked now, as the record's encoder checks it, so a
        // run never takes a snapshot only to find the label cannot be written (issue 9.6).
        foreach (string? problem in new[]
        {
            VolumeInfoRecord.TextProblem(Label, VolumeInfoRecord.LabelMax, "label"),
            VolumeInfoRecord.TextProblem(Name, VolumeInfoRecord.DefinitionMax, "name"),
            VolumeInfoRecord.TextProblem(Host, VolumeInfoRecord.HostMax, "host"),
            VolumeInfoRecord.TextProblem(MountPoint, VolumeInfoRecord.MountPointMax, "mount point"),
        })
            if (problem is not null && !p.Contains(problem)) p.Add(problem);
        // Exactly the stored names, in lower case: an older server on the same catalog compares the column as text.
        if (MissedRunsValue is null) p.Add(MissedRunsProblem);
        if (!TryZone(TimeZone, out _)) p.Add($"time zone '{TimeZone}' is not known (use an IANA name such as Europe/Berlin)");
        if (Schedule is not null && !TryCron(Schedule, out _, out string? why)) p.Add($"schedule '{Schedule}' is not a valid cron expression: {why}");
        return p;
    }

    /// <summary>The rule of issue 15.3, named so the error says which rule refused the definition.</summary>
    internal const string PreWithoutPost =
        "rule 'preprocess needs a postprocess': a preprocess (e.g. freeze) without a postprocess (e.g. thaw) leaves the volume as the preprocess left it; " +
        "give a postprocess (--post), or mark the definition pre-only (--pre-only; preOnly: true in the API) when the preprocess undoes itself";

    public void Validate()
    {
        var p = Problems();
        if (p.Count == 0) return;
        // Its own code when it is the only problem, so scripts can tell it from a typo.
        string code = p is [PreWithoutPost] ? "definition.pre_without_post" : "definition.invalid";
        Throw.Invalid(code, $"backup definition '{Name}' is not valid: " + string.Join("; ", p));
    }

    /// <summary>The next scheduled occurrence strictly after <paramref name="after"/>, DST-correct in the definition's zone.</summary>
    public DateTimeOffset? NextRun(DateTimeOffset after)
    {
        if (Schedule is null || !TryCron(Schedule, out var cron, out _) || !TryZone(TimeZone, out var zone)) return null;
        return cron!.GetNextOccurrence(after, zone!);
    }

    /// <summary>
    /// The shortest gap between two runs of the schedule, from its next 500 occurrences (within four years):
    /// enough for every field combination to show its densest stretch, e.g. "*/10 0 * * * *" (six runs 10 s
    /// apart each hour). Null without a schedule or with fewer than two occurrences.
    /// </summary>
    public TimeSpan? ShortestInterval(DateTimeOffset from)
    {
        if (Schedule is null || !TryCron(Schedule, out var cron, out _) || !TryZone(TimeZone, out var zone)) return null;
        TimeSpan? shortest = null;
        DateTimeOffset? previous = null;
        foreach (var t in cron!.GetOccurrences(from, from.AddYears(4), zone!).Take(500))
        {
            if (previous is { } p && (shortest is null || t - p < shortest)) shortest = t - p;
            previous = t;
        }
        return shortest;
    }

    internal static bool TryCron(string text, out CronExpression? cron, out string? why)
    {
        cron = null;
        why = null;
        try
        {
            int fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            cron = CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return true;
        }
        catch (CronFormatException ex)
        {
            why = ex.Message;
            return false;
        }
    }

    internal static bool TryZone(string id, out TimeZoneInfo? zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            zone = null;
            return false;
        }
    }
}

using Snapcat.Core.Json;
using Snapcat.Server.Retention;

namespace Snapcat.Server.Api;

/// <summary>Between the catalog's rows and the API's contracts (Snapcat.Contracts.Server), in one place.</summary>
public static class ServerDtoMapping
{
    public static BackupDefinition ToDefinition(this DefinitionDto d) => new()
    {
        Name = d.Name, Host = d.Host, MountPoint = d.MountPoint, Kind = d.Kind, DeviceId = d.DeviceId, DestinationVolume = d.DestinationVolume,
        PreHook = Blank(d.PreHook), PostHook = Blank(d.PostHook), PreOnly = d.PreOnly ?? false, Label = d.Label, Schedule = Blank(d.Schedule),
        TimeZone = d.TimeZone ?? "UTC", KeepGenerations = d.KeepGenerations, MissedRuns = d.MissedRuns ?? "skip",
        Enabled = d.Enabled ?? true,
        Retention = d.Retention?.ToPolicy(),
    };

    public static DefinitionDto ToDto(this BackupDefinition d, DateTimeOffset now, bool running) => new()
    {
        Name = d.Name, Host = d.Host, MountPoint = d.MountPoint, Kind = d.Kind, DeviceId = d.DeviceId, DestinationVolume = d.DestinationVolume,
        PreHook = d.PreHook, PostHook = d.PostHook, PreOnly = d.PreOnly, Label = d.Label, Schedule = d.Schedule, TimeZone = d.TimeZone,
        KeepGenerations = d.KeepGenerations, MissedRuns = d.MissedRuns, LastFire = d.LastFire, Created = d.Created,
        NextRun = d.Enabled ? d.NextRun(d.LastFire is { } l && l > now ? l : now) : null, Running = running,
        Enabled = d.Enabled,
        Retention = d.Retention?.ToDto(),
    };

    public static RetentionPolicy ToPolicy(this RetentionDto r) => new()
    {
        KeepLast = r.KeepLast, KeepHourly = r.KeepHourly, KeepDaily = r.KeepDaily, KeepWeekly = r.KeepWeekly, KeepMonthly = r.KeepMonthly, KeepYearly = r.KeepYearly,
    };

    public static RetentionDto ToDto(this RetentionPolicy r) => new()
    {
        KeepLast = r.KeepLast, KeepHourly = r.KeepHourly, KeepDaily = r.KeepDaily, KeepWeekly = r.KeepWeekly, KeepMonthly = r.KeepMonthly, KeepYearly = r.KeepYearly,
    };

    public static BackupDto ToDto(this BackupDataRow r) => new(r.Id, r.Host, r.MountPoint, r.Kind, r.DeviceId, r.MediaId, r.Label,
        r.Timestamp, r.BackupId, SnapcatJson.Name(r.Origin), r.Recorded, Convert.ToBase64String(r.VolumeInfo), r.Definition, r.Protected, r.ProtectedUntil, r.Digest);

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}

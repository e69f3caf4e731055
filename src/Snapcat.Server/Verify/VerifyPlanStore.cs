using System.Text.Json;
using Dapper;
using Snapcat.Core.Json;

namespace Snapcat.Server.Verify;

/// <summary>The verify plans (migration 0008, table verify_plan) with the report of each plan's newest run.</summary>
public sealed class VerifyPlanStore(CatalogDatabase db)
{
    private sealed class Raw
    {
        public string Name { get; set; } = "";
        public string Schedule { get; set; } = "";
        public string TimeZone { get; set; } = "UTC";
        public long OlderThanS { get; set; }
        public long? MaxPerRun { get; set; }
        public double? SharePercent { get; set; }
        public string? Kind { get; set; }
        public string? DeviceId { get; set; }
        public long CreatedUs { get; set; }
        public long? LastFireUs { get; set; }
    }

    private const string Columns = "name AS Name, schedule AS Schedule, time_zone AS TimeZone, older_than_s AS OlderThanS, max_per_run AS MaxPerRun, " +
        "share_percent AS SharePercent, kind AS Kind, device_id AS DeviceId, created_us AS CreatedUs, last_fire_us AS LastFireUs";

    public async Task CreateAsync(VerifyPlan plan, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM verify_plan WHERE name = @Name", new { plan.Name }).ConfigureAwait(false) > 0)
            Throw.Conflict("verify_plan.exists", $"a verify plan named '{plan.Name}' exists already; delete it first or choose another name");
        await c.ExecuteAsync(
            """
            INSERT INTO verify_plan (name, schedule, time_zone, older_than_s, max_per_run, share_percent, kind, device_id, created_us)
            VALUES (@Name, @Schedule, @TimeZone, @olderThan, @max, @SharePercent, @Kind, @DeviceId, @created)
            """,
            new
            {
                plan.Name, plan.Schedule, plan.TimeZone, olderThan = (long)plan.OlderThan.TotalSeconds, max = (long?)plan.MaxPerRun, plan.SharePercent,
                plan.Kind, plan.DeviceId, created = TimeUs.From(plan.Created),
            }).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<VerifyPlan>> ListAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return (await c.QueryAsync<Raw>($"SELECT {Columns} FROM verify_plan ORDER BY name").ConfigureAwait(false)).Select(ToPlan).ToList();
    }

    public async Task<VerifyPlan> GetAsync(string name, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var raw = await c.QuerySingleOrDefaultAsync<Raw>($"SELECT {Columns} FROM verify_plan WHERE name = @name", new { name }).ConfigureAwait(false);
        if (raw is null) Throw.NotFound("verify_plan.not_found", $"no verify plan named '{name}' (see 'snapcat verify-plan list')");
        return ToPlan(raw);
    }

    public async Task DeleteAsync(string name, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        if (await c.ExecuteAsync("DELETE FROM verify_plan WHERE name = @name", new { name }).ConfigureAwait(false) == 0)
            Throw.NotFound("verify_plan.not_found", $"no verify plan named '{name}' (see 'snapcat verify-plan list')");
    }

    /// <summary>Records that the scheduled occurrence at <paramref name="fire"/> was handled (run or skipped).</summary>
    public async Task SetLastFireAsync(string name, DateTimeOffset fire, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync("UPDATE verify_plan SET last_fire_us = @t WHERE name = @name", new { name, t = TimeUs.From(fire) }).ConfigureAwait(false);
    }

    public async Task SetReportAsync(string name, VerifyPlanReport report, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync("UPDATE verify_plan SET last_report = @json WHERE name = @name",
            new { name, json = JsonSerializer.Serialize(report, SnapcatJson.Web) }).ConfigureAwait(false);
    }

    /// <summary>The report of the plan's newest run; <c>verify_plan.no_report</c> before its first.</summary>
    public async Task<VerifyPlanReport> GetReportAsync(string name, CancellationToken ct = default)
    {
        await GetAsync(name, ct).ConfigureAwait(false);
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        string? json = await c.ExecuteScalarAsync<string?>("SELECT last_report FROM verify_plan WHERE name = @name", new { name }).ConfigureAwait(false);
        if (json is null) Throw.NotFound("verify_plan.no_report", $"verify plan '{name}' has not run yet; run it with 'snapcat verify-plan run {name}'");
        return JsonSerializer.Deserialize<VerifyPlanReport>(json, SnapcatJson.Web)!;
    }

    private static VerifyPlan ToPlan(Raw r) => new()
    {
        Name = r.Name, Schedule = r.Schedule, TimeZone = r.TimeZone, OlderThan = TimeSpan.FromSeconds(r.OlderThanS),
        MaxPerRun = r.MaxPerRun is { } m ? (int)m : null, SharePercent = r.SharePercent, Kind = r.Kind, DeviceId = r.DeviceId,
        Created = TimeUs.To(r.CreatedUs), LastFire = r.LastFireUs is { } l ? TimeUs.To(l) : null,
    };
}

using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Server;

// Verify jobs and verify plans (VerifyContracts.cs, docs/verify.md).
public sealed partial class ServerClient
{
    /// <summary>POST /v1/backups/{id}/verify: a disk backup verified on its array, a tape backup read back; result <see cref="VerifyRunDto"/>.</summary>
    public Task<JobSnapshot> StartBackupVerifyAsync(long id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/verify", null, ct);

    /// <summary>GET /v1/backups/{id}/verifications: the backup's verify history, newest first.</summary>
    public async Task<IReadOnlyList<VerifyRunDto>> ListVerificationsAsync(long id, CancellationToken ct = default) =>
        await SendAsync<VerifyRunDto[]>(HttpMethod.Get, $"v1/backups/{id}/verifications", null, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<VerifyPlanDto>> ListVerifyPlansAsync(CancellationToken ct = default) =>
        await SendAsync<VerifyPlanDto[]>(HttpMethod.Get, "v1/verify-plans", null, ct).ConfigureAwait(false);

    public Task<VerifyPlanDto> CreateVerifyPlanAsync(VerifyPlanDto plan, CancellationToken ct = default) =>
        SendAsync<VerifyPlanDto>(HttpMethod.Post, "v1/verify-plans", Body(plan), ct);

    public Task<VerifyPlanDto> GetVerifyPlanAsync(string name, CancellationToken ct = default) =>
        SendAsync<VerifyPlanDto>(HttpMethod.Get, "v1/verify-plans/" + Uri.EscapeDataString(name), null, ct);

    public Task DeleteVerifyPlanAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, "v1/verify-plans/" + Uri.EscapeDataString(name), null, ct);

    /// <summary>Runs the plan now; the job's result is its <see cref="VerifyPlanReport"/>.</summary>
    public Task<JobSnapshot> RunVerifyPlanAsync(string name, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/verify-plans/{Uri.EscapeDataString(name)}/runs", null, ct);

    public Task<VerifyPlanReport> GetVerifyPlanReportAsync(string name, CancellationToken ct = default) =>
        SendAsync<VerifyPlanReport>(HttpMethod.Get, $"v1/verify-plans/{Uri.EscapeDataString(name)}/report", null, ct);
}

using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Server;

// Drift detection (docs/drift.md).
public sealed partial class ServerClient
{
    /// <summary>Starts a reconcile of catalog vs arrays vs tape library; the job's result is a <see cref="DriftReport"/>.</summary>
    public Task<JobSnapshot> StartDriftReconcileAsync(CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/drift/reconcile", null, ct);

    /// <summary>The findings of the last reconcile (optionally one kind).</summary>
    public async Task<IReadOnlyList<DriftFindingDto>> ListDriftFindingsAsync(string? kind = null, CancellationToken ct = default) =>
        await SendAsync<DriftFindingDto[]>(HttpMethod.Get, kind is null ? "v1/drift/findings" : $"v1/drift/findings?kind={Uri.EscapeDataString(kind)}", null, ct).ConfigureAwait(false);

    /// <summary>Re-checks finding <paramref name="id"/> and applies its fix.</summary>
    public Task<DriftFixResult> FixDriftAsync(string id, DriftFixRequest request, CancellationToken ct = default) =>
        SendAsync<DriftFixResult>(HttpMethod.Post, $"v1/drift/findings/{Uri.EscapeDataString(id)}/fix", Body(request), ct);

    /// <summary>Every current finding of one kind, each re-checked and fixed.</summary>
    public async Task<IReadOnlyList<DriftFixResult>> FixAllDriftAsync(DriftFixAllRequest request, CancellationToken ct = default) =>
        await SendAsync<DriftFixResult[]>(HttpMethod.Post, "v1/drift/fixes", Body(request), ct).ConfigureAwait(false);
}

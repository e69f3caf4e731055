using Snapcat.Core.Jobs;
using Snapcat.Server.Catalog;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Catalog;

/// <summary>The job table queries of GET /v1/status, on SQLite and (with SNAPCAT_TEST_POSTGRES) PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class JobOutcomeQueriesTests : IDisposable
{
    private readonly TempDir _dir = new("job-outcomes");

    public void Dispose() => _dir.Dispose();

    private static JobSnapshot Job(string id, JobState state, DateTimeOffset created, string? error = null) =>
        new(id, "backup", $"backup {id}", state, 0, 0, created, state.IsFinal() ? created.AddMinutes(1) : null, error, error is null ? null : "it broke", [], null);

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task The_newest_finished_job_per_definition_and_the_failures_since_a_time(string backend)
    {
        await using var db = await PostgresCollection.OpenCatalogAsync(backend, _dir.Combine("c.db"));
        var history = new JobHistoryStore(db);
        var t0 = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        await history.SaveAsync(Job("j-1", JobState.Succeeded, t0), "a");
        await history.SaveAsync(Job("j-2", JobState.Failed, t0.AddHours(1), "agent.unreachable"), "a");
        await history.SaveAsync(Job("j-3", JobState.Running, t0.AddHours(2)), "a");          // running: not a result yet
        await history.SaveAsync(Job("j-4", JobState.Interrupted, t0.AddHours(3), "job.interrupted"), "b");
        await history.SaveAsync(Job("j-5", JobState.Cancelled, t0.AddHours(4)), "b");         // cancelled: not a failure
        await history.SaveAsync(Job("j-6", JobState.Failed, t0.AddHours(5), "x"), null);      // a restore, say

        var q = new JobOutcomeQueries(db);
        var last = await q.LastByDefinitionAsync(["a", "b", "c"]);
        Assert.Equal(("j-2", JobState.Failed, "agent.unreachable"), (last["a"].JobId, last["a"].State, last["a"].ErrorCode));
        Assert.Equal(("j-5", JobState.Cancelled), (last["b"].JobId, last["b"].State));
        Assert.False(last.ContainsKey("c"));

        Assert.Equal(["j-6", "j-4", "j-2"], (await q.FailuresSinceAsync(t0)).Select(f => f.JobId));
        Assert.Equal(["j-6", "j-4"], (await q.FailuresSinceAsync(t0.AddHours(3))).Select(f => f.JobId));
        Assert.Equal(["j-6"], (await q.FailuresSinceAsync(t0, limit: 1)).Select(f => f.JobId));
    }
}

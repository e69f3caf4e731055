using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;

namespace Snapcat.Core.Tests.Errors;

/// <summary>storage.full is one stable code and one status (507), found however deep a full disk is wrapped.</summary>
public sealed class StorageFullMappingTests
{
    private static IOException Enospc() => new("No space left on device") { HResult = 28 };

    [Fact]
    public void Storage_full_is_507_both_ways_and_other_kinds_keep_their_status()
    {
        Assert.Equal(507, ErrorKindHttp.ToStatusCode(ErrorKind.StorageFull));
        Assert.Equal(ErrorKind.StorageFull, ErrorKindHttp.FromStatusCode(507));
        Assert.Equal(500, ErrorKindHttp.ToStatusCode(ErrorKind.Internal));
        Assert.Equal(409, ErrorKindHttp.ToStatusCode(ErrorKind.Conflict));
    }

    [Fact]
    public void A_full_disk_is_found_through_wrappers_and_nothing_else_is_mistaken_for_one()
    {
        var wrapped = new SnapcatException(ErrorKind.Internal, "volume.create_failed", "cannot create", new InvalidOperationException("x", Enospc()));
        Assert.NotNull(StorageErrors.FindFull(wrapped));
        Assert.NotNull(StorageErrors.FindFull(new AggregateException(new TimeoutException(), Enospc())));
        Assert.NotNull(StorageErrors.FindFull(new IOException("quota") { HResult = 122 }));  // EDQUOT
        Assert.NotNull(StorageErrors.FindFull(new InvalidOperationException("db"), e => e is InvalidOperationException));
        Assert.Null(StorageErrors.FindFull(new IOException("Input/output error") { HResult = 5 }));
        Assert.Null(StorageErrors.FindFull(new SnapcatException(ErrorKind.Conflict, "volume.in_use", "in use")));
    }

    [Fact]
    public async Task A_job_that_runs_out_of_space_fails_with_storage_full()
    {
        var jobs = new JobRegistry();
        var job = jobs.Start("test", "a job on a full disk", async _ => { await Task.Yield(); throw Enospc(); });
        await Snapcat.TestKit.Poll.UntilAsync(() => job.Snapshot().State.IsFinal(), TimeSpan.FromSeconds(30), "the job's end");
        var s = job.Snapshot();
        Assert.Equal(JobState.Failed, s.State);
        Assert.Equal("storage.full", s.ErrorCode);
        Assert.Contains("No space left on device", s.ErrorMessage);
    }
}

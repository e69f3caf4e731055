using System.Text.Json;
using Snapcat.Core.Jobs;
using Snapcat.Core.Json;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Core.Tests.Json;

/// <summary>
/// The one enum encoding: lower-case names, '_' between words; the numbers persisted in records and the job
/// history never change; what older daemons wrote (numbers, "Failed") still reads.
/// </summary>
public sealed class SnapcatJsonTests
{
    [Fact]
    public void Persisted_numbers_are_frozen()
    {
        Assert.Equal([0, 1, 2, 3, 4, 5], Enum.GetValues<JobState>().Select(s => (int)s));
        Assert.Equal([JobState.Queued, JobState.Running, JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.Interrupted],
            Enum.GetValues<JobState>());
        Assert.Equal(((byte)1, (byte)2, (byte)3, (byte)4), ((byte)BackupKind.Mirror, (byte)BackupKind.Snapshot, (byte)BackupKind.Copy, (byte)BackupKind.Tape));
        Assert.Equal(((byte)1, (byte)2, (byte)3), ((byte)VolumeInfoOrigin.Backup, (byte)VolumeInfoOrigin.Copy, (byte)VolumeInfoOrigin.TapeCopy));
    }

    [Fact]
    public void Names_are_lower_case_and_are_what_the_catalog_columns_hold()
    {
        Assert.Equal(["queued", "running", "succeeded", "failed", "cancelled", "interrupted"], SnapcatJson.Names<JobState>());
        Assert.Equal(["mirror", "snapshot", "copy", "tape", "catalog"], SnapcatJson.Names<BackupKind>());
        Assert.Equal(["backup", "copy", "tape_copy"], SnapcatJson.Names<VolumeInfoOrigin>());
        Assert.Equal("\"failed\"", JsonSerializer.Serialize(JobState.Failed, SnapcatJson.Web));
        Assert.Equal("\"tape_copy\"", JsonSerializer.Serialize(VolumeInfoOrigin.TapeCopy, SnapcatJson.Web));
    }

    [Fact]
    public void A_job_snapshot_carries_its_state_by_name_and_older_encodings_still_read()
    {
        var job = new JobSnapshot("j-1", "backup", "d", JobState.Failed, 1, 2, DateTimeOffset.UnixEpoch, null, "x.y", "m", [], null);
        string json = JsonSerializer.Serialize(job, SnapcatJson.Web);
        Assert.Contains("\"state\":\"failed\"", json);
        Assert.Equal(job.State, JsonSerializer.Deserialize<JobSnapshot>(json, SnapcatJson.Web)!.State);

        // REST wrote the number, the event stream the member name.
        Assert.Equal(JobState.Failed, JsonSerializer.Deserialize<JobState>("3", SnapcatJson.Web));
        Assert.Equal(JobState.Failed, JsonSerializer.Deserialize<JobState>("\"Failed\"", SnapcatJson.Web));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobState>("\"flailed\"", SnapcatJson.Web));
    }

    [Fact]
    public void Text_parses_by_name_in_any_case_but_never_as_a_number()
    {
        Assert.True(SnapcatJson.TryParse<VolumeInfoOrigin>("tape_copy", out var o));
        Assert.Equal(VolumeInfoOrigin.TapeCopy, o);
        Assert.True(SnapcatJson.TryParse<JobState>("FAILED", out var s));
        Assert.Equal(JobState.Failed, s);
        Assert.False(SnapcatJson.TryParse<BackupKind>("1", out _));
        Assert.False(SnapcatJson.TryParse<BackupKind>(null, out _));
        Assert.False(SnapcatJson.TryParse<BackupKind>("tapecopy", out _));
    }

    [Fact]
    public void Apply_adds_the_encoding_once()
    {
        var o = SnapcatJson.Apply(SnapcatJson.Apply(new JsonSerializerOptions()));
        Assert.Single(o.Converters);
        Assert.Equal("\"run_once\"", JsonSerializer.Serialize(Sample.RunOnce, o));
    }

    private enum Sample { Skip, RunOnce }
}

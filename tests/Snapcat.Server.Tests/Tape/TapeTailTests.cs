using Snapcat.Server.Tape;

namespace Snapcat.Server.Tests.Tape;

/// <summary>Issue 9.4 in the library: a torn cartridge that holds the trailer of an earlier backup crossing cartridges.</summary>
public sealed class TapeTailTests
{
    [Fact]
    public async Task A_backup_whose_trailer_is_on_the_torn_cartridge_is_complete_again_after_the_cut()
    {
        using var fx = new TapeFixture(capacity: "1M");
        var (first, data) = await fx.CopyAsync("crossing", 1_500_000, 1);   // SC0001 → SC0002, TRLR on SC0002
        long clean = new FileInfo(fx.Library.PathOf("SC0002")).Length;
        await fx.CopyAsync("torn", 300_000, 2);                              // appended to SC0002
        string sc2 = fx.Library.PathOf("SC0002");
        // What a kill -9 mid-write leaves: the image ends inside the second backup's DATA.
        using (var f = new FileStream(sc2, FileMode.Open)) f.SetLength(clean + 150_001);

        var before = await fx.Library.ListAsync();
        Assert.Equal("damaged", before[1].State);
        Assert.NotNull(Assert.Single(before[0].Backups).Problem);          // the earlier backup reads as INCOMPLETE

        var cuts = await fx.Library.RecoverTailsAsync();
        var cut = Assert.Single(cuts);
        Assert.Equal(("SC0002", clean + 150_001, clean), (cut.VolumeSerial, cut.BytesBefore, cut.BytesAfter));
        var after = await fx.Library.ListAsync();
        Assert.Equal(["closed", "appendable"], after.Select(c => c.State));
        Assert.Null(Assert.Single(after[0].Backups).Problem);
        Assert.Equal(["SC0001", "SC0002"], after[0].Backups[0].Volumes);
        var listed = Assert.Single(after[1].TailCuts!);
        Assert.Equal((cut.Reason, cut.KeptFiles, cut.BytesAfter), (listed.Reason, listed.KeptFiles, listed.BytesAfter));
        Assert.Equal(cut.Removed, listed.Removed);
        Assert.Contains("torn tail (tape.truncated", cut.Reason);
        Assert.Equal(data, await fx.RestoreAsync(first.MediaId));
        Assert.Empty(await fx.Library.RecoverTailsAsync());                 // nothing left to cut

        // Recorded durably: a new library object over the same directory lists the cut.
        fx.Library.Dispose();
        using var reopened = new TapeLibrary(fx.Library.Config);
        Assert.Single((await reopened.ListAsync())[1].TailCuts!);
    }
}

using Snapcat.Array.VolumeCopy;
using Snapcat.Array.Volumes;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.VolumeCopy;

/// <summary>
/// Progress of <see cref="BlockCopier"/> while several pieces are in flight. A job shows the last
/// figure it was given, so a figure computed by one piece and delivered after a later piece's larger
/// one would leave a finished copy showing less than its size (seen in CI: 7 MiB of 24 MiB at success).
/// </summary>
public sealed class BlockCopierProgressTests : IAsyncLifetime
{
    private const long Size = 64L << 20;   // 16 data pieces: four rounds of four in flight
    private readonly TempDir _dir = new("copier-progress");
    private VolumeManager _volumes = null!;

    public Task InitializeAsync()
    {
        _volumes = VolumeManager.Open(_dir.Path, "ARRAY-P", []);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _volumes.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Reports_never_go_backwards_and_the_last_one_is_the_whole_size()
    {
        var src = _volumes.Create(Size);
        byte[] data = VolumeCopyHandlerTests.Random((int)Size, 7);
        await _volumes.GetDevice(src.Number).WriteAsync(0, data);

        for (int round = 0; round < 8; round++)
        {
            var dst = _volumes.Create(Size);
            var reports = new List<long>();
            var gate = new object();
            // A thread can be preempted between taking its figure and handing it over; a random pause on
            // entry stands for that, so a figure may reach the lock after a later, larger one.
            void Progress(long done, long total)
            {
                Assert.Equal(Size, total);
                Thread.SpinWait(System.Random.Shared.Next(0, 200_000));
                lock (gate) reports.Add(done);
            }

            var stats = await BlockCopier.CopyAsync(_volumes.GetDevice(src.Number), _volumes.GetDevice(dst.Number), Progress);

            Assert.Equal(Size, stats.BytesCopied + stats.BytesZeroed);
            Assert.Equal(Size, reports[^1]);
            for (int i = 1; i < reports.Count; i++)
                Assert.True(reports[i] >= reports[i - 1], $"round {round}: report {i} is {reports[i]} after {reports[i - 1]} ({string.Join(", ", reports)})");
            await _volumes.DeleteAsync(dst.Number, force: true);
        }
    }
}

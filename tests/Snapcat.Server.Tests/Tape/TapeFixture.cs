using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;
using Snapcat.Server.Tape;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Tape;

/// <summary>A tape library in a temp directory and disk-backup rows to copy from.</summary>
internal sealed class TapeFixture : IDisposable
{
    public readonly TempDir Dir = new("tapelib");

    public TapeFixture(string capacity = "64M", int slots = 16)
    {
        Library = new TapeLibrary(new TapeLibraryConfig { LibraryId = "TAPE-01", Directory = Dir.Combine("lib"), Capacity = capacity, Slots = slots });
        Copy = new TapeCopy(Library);
    }

    public TapeLibrary Library { get; }
    public TapeCopy Copy { get; }

    public static byte[] RandomData(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static BackupDataRow Source(string host, string label, int volume, DateTimeOffset? at = null)
    {
        var info = new VolumeInfoRecord
        {
            Label = label, Host = host, MountPoint = "/srv/data", Timestamp = VolumeInfoRecord.TruncateToMicros(at ?? new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero)),
            Kind = BackupKind.Snapshot, SourceDeviceId = "ARRAY-01", SourceVolume = 7, BackupId = Guid.NewGuid(),
        };
        return new BackupDataRow
        {
            Host = host, MountPoint = info.MountPoint, Kind = "snapshot", DeviceId = "ARRAY-01", MediaId = volume.ToString(), Label = label,
            Timestamp = info.Timestamp, BackupId = info.BackupId, VolumeInfo = info.Encode(), Origin = BackupOrigin.Backup,
        };
    }

    public async Task<(BackupDataRow Row, byte[] Data)> CopyAsync(string label, int length, int seed, string host = "db01")
    {
        var source = Source(host, label, seed);
        var data = RandomData(length, seed);
        var row = await Copy.CopyToTapeAsync(new MemoryStream(data), data.Length, source, source.VolumeInfo);
        return (row, data);
    }

    public async Task<byte[]> RestoreAsync(string mediaId)
    {
        var ms = new MemoryStream();
        await Copy.RestoreFromTapeAsync(mediaId, ms);
        return ms.ToArray();
    }

    /// <summary>Overwrites one byte of a cartridge image with its complement.</summary>
    public static void FlipByte(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        int b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)~b);
    }

    public static long IndexOf(string path, ReadOnlySpan<byte> needle, int occurrence = 1)
    {
        var bytes = File.ReadAllBytes(path).AsSpan();
        long at = 0;
        for (int i = 0; i < occurrence; i++)
        {
            int k = bytes.IndexOf(needle);
            if (k < 0) throw new InvalidOperationException($"pattern not found ({i + 1}. occurrence) in {path}");
            at += k;
            if (i + 1 < occurrence) { at += needle.Length; bytes = bytes[(k + needle.Length)..]; }
        }
        return at;
    }

    public void Dispose()
    {
        Library.Dispose();
        Dir.Dispose();
    }
}

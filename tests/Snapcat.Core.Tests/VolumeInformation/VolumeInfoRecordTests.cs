using Snapcat.Core.Errors;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Core.Tests.VolumeInformation;

public class VolumeInfoRecordTests
{
    private static VolumeInfoRecord Sample() => new()
    {
        Label = "nightly-db",
        Host = "db01.example.internal",
        MountPoint = "/srv/postgres",
        Timestamp = VolumeInfoRecord.TruncateToMicros(new DateTimeOffset(2026, 11, 25, 3, 0, 1, TimeSpan.Zero).AddTicks(1234567)),
        Kind = BackupKind.Mirror,
        SourceDeviceId = "ARRAY-01",
        SourceVolume = 7,
        BackupId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
    };

    [Fact]
    public void Encode_then_decode_round_trips_every_field()
    {
        var r = Sample();
        byte[] bytes = r.Encode();
        Assert.Equal(512, bytes.Length);
        var back = VolumeInfoRecord.Decode(bytes);
        Assert.Equal(r, back);
    }

    [Fact]
    public void Layout_puts_fields_where_the_documentation_says()
    {
        byte[] b = Sample().Encode();
        Assert.Equal("SCVOLINF"u8.ToArray(), b[..8]);
        Assert.Equal(1, b[8]);                          // version, little-endian
        Assert.Equal("nightly-db"u8.ToArray(), b[12..22]);
        Assert.Equal("db01"u8.ToArray(), b[76..80]);
        Assert.Equal("/srv"u8.ToArray(), b[140..144]);
        Assert.Equal((byte)BackupKind.Mirror, b[340]);
        Assert.Equal("ARRAY-01"u8.ToArray(), b[344..352]);
        Assert.Equal(7, b[376]);
        Assert.All(b[396..508], x => Assert.Equal(0, x));
    }

    [Fact]
    public void Unicode_text_round_trips()
    {
        var r = Sample() with { Label = "Sicherung – Größe ✓", MountPoint = "/mnt/données" };
        Assert.Equal(r, VolumeInfoRecord.Decode(r.Encode()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(100)]
    [InlineData(300)]
    [InlineData(345)]
    [InlineData(450)]
    [InlineData(509)]
    public void A_flipped_byte_anywhere_is_rejected(int offset)
    {
        byte[] b = Sample().Encode();
        b[offset] ^= 0x40;
        var ex = Assert.Throws<VolumeInfoFormatException>(() => VolumeInfoRecord.Decode(b));
        Assert.Equal(ErrorKind.Invalid, ex.Kind);
        Assert.StartsWith("volume information ", ex.Message);
    }

    [Fact]
    public void Every_single_bit_flip_is_detected()
    {
        byte[] good = Sample().Encode();
        for (int i = 0; i < good.Length * 8; i++)
        {
            byte[] b = (byte[])good.Clone();
            b[i / 8] ^= (byte)(1 << (i % 8));
            Assert.False(VolumeInfoRecord.TryDecode(b, out _, out string? reason), $"bit {i} flip accepted");
            Assert.NotNull(reason);
        }
    }

    [Fact]
    public void Reasons_name_the_failed_check()
    {
        byte[] b = Sample().Encode();
        b[0] = (byte)'X';
        Assert.False(VolumeInfoRecord.TryDecode(b, out _, out var reason));
        Assert.Contains("format ID", reason);

        b = Sample().Encode();
        b[8] = 2;
        Assert.False(VolumeInfoRecord.TryDecode(b, out _, out reason));
        Assert.Contains("version 2", reason);

        b = Sample().Encode();
        b[20] ^= 1;
        Assert.False(VolumeInfoRecord.TryDecode(b, out _, out reason));
        Assert.Contains("checksum", reason);

        Assert.False(VolumeInfoRecord.TryDecode(new byte[511], out _, out reason));
        Assert.Contains("511 bytes", reason);
        Assert.False(VolumeInfoRecord.TryDecode(new byte[512], out _, out reason));
        Assert.Contains("format ID", reason);
    }

    [Fact]
    public void Over_long_fields_are_refused_not_truncated()
    {
        var ex = Assert.Throws<SnapcatException>(() => (Sample() with { Label = new string('x', 65) }).Encode());
        Assert.Equal("volume_info.field_too_long", ex.Code);
        Assert.Contains("label", ex.Message);
        Assert.Throws<SnapcatException>(() => (Sample() with { MountPoint = "/" + new string('m', 192) }).Encode());
        Assert.Throws<SnapcatException>(() => (Sample() with { Host = new string('é', 33) }).Encode()); // 66 bytes in UTF-8
        Assert.Throws<SnapcatException>(() => (Sample() with { SourceDeviceId = "has space" }).Encode());
        Assert.Throws<SnapcatException>(() => (Sample() with { Label = "nul\0inside" }).Encode());
        // exactly at the limit is fine
        var max = Sample() with { Label = new string('x', 64) };
        Assert.Equal(max, VolumeInfoRecord.Decode(max.Encode()));
    }

    [Fact]
    public void Destination_of_wrong_length_is_refused()
    {
        Assert.Throws<SnapcatException>(() => Sample().Encode(new byte[500]));
    }

    [Fact]
    public void Fuzz_smoke_random_bytes_never_throw_from_TryDecode()
    {
        var rng = new Random(12345);
        byte[] good = Sample().Encode();
        for (int i = 0; i < 20000; i++)
        {
            byte[] b = i % 2 == 0 ? new byte[rng.Next(0, 600)] : (byte[])good.Clone();
            if (i % 2 == 0) rng.NextBytes(b);
            else for (int k = 0; k < 1 + rng.Next(4); k++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
            VolumeInfoRecord.TryDecode(b, out _, out _);
        }
    }

    [Fact]
    public void Persisted_enum_values_never_change()
    {
        Assert.Equal(1, (int)BackupKind.Mirror);
        Assert.Equal(2, (int)BackupKind.Snapshot);
        Assert.Equal(3, (int)BackupKind.Copy);
        Assert.Equal(4, (int)BackupKind.Tape);
        Assert.Equal(4, Enum.GetValues<BackupKind>().Length);
    }

    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32CHash.Compute("123456789"u8));
        Assert.Equal(0u, Crc32CHash.Compute([]));
    }
}

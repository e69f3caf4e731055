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
        Origin = VolumeInfoOrigin.Copy,
        DefinitionName = "nightly-db-def",
        CatalogNumber = 0x0102030405,
    };

    /// <summary>The bytes a version 1 writer made for <paramref name="r"/>: version 1, zero where version 2 keeps its new fields.</summary>
    private static byte[] AsVersion1(VolumeInfoRecord r)
    {
        byte[] b = (r with { Origin = VolumeInfoOrigin.Backup, DefinitionName = "", CatalogNumber = 0 }).Encode();
        b[8] = 1;
        b.AsSpan(341, 3).Clear();
        b.AsSpan(396, 112).Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(508), Crc32CHash.Compute(b.AsSpan(0, 508)));
        return b;
    }

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
        Assert.Equal(2, b[8]);                          // version, little-endian
        Assert.Equal(0, b[9]);
        Assert.Equal("nightly-db"u8.ToArray(), b[12..22]);
        Assert.Equal("db01"u8.ToArray(), b[76..80]);
        Assert.Equal("/srv"u8.ToArray(), b[140..144]);
        Assert.Equal((byte)BackupKind.Mirror, b[340]);
        Assert.Equal((byte)VolumeInfoOrigin.Copy, b[341]);
        Assert.All(b[342..344], x => Assert.Equal(0, x));
        Assert.Equal("ARRAY-01"u8.ToArray(), b[344..352]);
        Assert.Equal(7, b[376]);
        Assert.Equal("nightly-db-def"u8.ToArray(), b[396..410]);
        Assert.All(b[410..460], x => Assert.Equal(0, x));
        Assert.Equal(new byte[] { 5, 4, 3, 2, 1, 0, 0, 0 }, b[460..468]);
        // 40 reserved bytes stay zero: room for a later 32-byte content digest.
        Assert.All(b[468..508], x => Assert.Equal(0, x));
    }

    [Fact]
    public void A_version_1_record_still_decodes_with_origin_from_its_kind_and_no_definition_or_number()
    {
        var v1 = VolumeInfoRecord.Decode(AsVersion1(Sample()));
        Assert.Equal(1, v1.FormatVersion);
        Assert.Equal((Sample().Label, Sample().Host, Sample().BackupId, BackupKind.Mirror), (v1.Label, v1.Host, v1.BackupId, v1.Kind));
        Assert.Equal(VolumeInfoOrigin.Backup, v1.Origin);
        Assert.Equal("", v1.DefinitionName);
        Assert.Equal(0ul, v1.CatalogNumber);
        var copyV1 = VolumeInfoRecord.Decode(AsVersion1(Sample() with { Kind = BackupKind.Copy }));
        Assert.Equal(VolumeInfoOrigin.Copy, copyV1.Origin);
        // Re-encoding a version 1 record writes version 2.
        Assert.Equal(2, v1.Encode()[8]);
    }

    [Fact]
    public void A_version_1_record_with_bytes_in_the_version_2_fields_is_damaged_not_version_2()
    {
        foreach (int offset in new[] { 341, 343, 396, 460, 467, 500 })
        {
            byte[] b = AsVersion1(Sample());
            b[offset] = 1;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(508), Crc32CHash.Compute(b.AsSpan(0, 508)));
            Assert.False(VolumeInfoRecord.TryDecode(b, out _, out string? reason), $"offset {offset}");
            Assert.Contains("reserved", reason);
        }
    }

    [Fact]
    public void Every_single_bit_flip_of_a_version_1_record_is_detected()
    {
        byte[] good = AsVersion1(Sample());
        for (int i = 0; i < good.Length * 8; i++)
        {
            byte[] b = (byte[])good.Clone();
            b[i / 8] ^= (byte)(1 << (i % 8));
            Assert.False(VolumeInfoRecord.TryDecode(b, out _, out _), $"bit {i} flip accepted");
        }
    }

    [Fact]
    public void Version_2_reserved_bytes_unknown_origin_and_bad_definition_text_are_refused()
    {
        static string? Reason(Action<byte[]> damage)
        {
            byte[] b = Sample().Encode();
            damage(b);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(508), Crc32CHash.Compute(b.AsSpan(0, 508)));
            Assert.False(VolumeInfoRecord.TryDecode(b, out _, out string? reason));
            return reason;
        }
        Assert.Contains("reserved", Reason(b => b[342] = 1));
        Assert.Contains("reserved", Reason(b => b[480] = 1));
        Assert.Contains("origin 9", Reason(b => b[341] = 9));
        Assert.Contains("origin 0", Reason(b => b[341] = 0));
        Assert.Contains("definition name", Reason(b => { b[396] = 0; b[397] = (byte)'x'; }));
        Assert.Contains("catalog number", Reason(b => b[467] = 0x80));
    }

    [Fact]
    public void Validate_refuses_what_encoding_would_refuse_with_the_same_codes()
    {
        Sample().Validate();
        Assert.Equal("volume_info.field", Assert.Throws<SnapcatException>(() => (Sample() with { Label = "a\0b" }).Validate()).Code);
        Assert.Equal("volume_info.field_too_long",
            Assert.Throws<SnapcatException>(() => (Sample() with { DefinitionName = new string('d', 65) }).Validate()).Code);
        Assert.Equal("volume_info.field", Assert.Throws<SnapcatException>(() => VolumeInfoRecord.CheckText("x\0", 64, "label")).Code);
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
        b[8] = 3;
        Assert.False(VolumeInfoRecord.TryDecode(b, out _, out reason));
        Assert.Contains("version 3", reason);

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
        Assert.Equal(5, (int)BackupKind.Catalog);   // the server's catalog volume (docs/disaster-recovery.md)
        Assert.Equal(5, Enum.GetValues<BackupKind>().Length);
        Assert.Equal(1, (int)VolumeInfoOrigin.Backup);
        Assert.Equal(2, (int)VolumeInfoOrigin.Copy);
        Assert.Equal(3, (int)VolumeInfoOrigin.TapeCopy);
        Assert.Equal(3, Enum.GetValues<VolumeInfoOrigin>().Length);
        Assert.Equal(2, VolumeInfoRecord.CurrentVersion);
    }

    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32CHash.Compute("123456789"u8));
        Assert.Equal(0u, Crc32CHash.Compute([]));
    }
}

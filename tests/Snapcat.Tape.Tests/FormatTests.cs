using System.Text;
using Snapcat.Tape.Awstape;
using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;
using Snapcat.TestKit;

namespace Snapcat.Tape.Tests;

public class FormatTests
{
    [Fact]
    public void Chunk_header_layout_is_little_endian_current_then_previous()
    {
        var b = new byte[6];
        AwsChunkHeader.ForBlock(0x0320, 0x0050).Write(b);
        Assert.Equal(new byte[] { 0x20, 0x03, 0x50, 0x00, 0xA0, 0x00 }, b);
        AwsChunkHeader.ForTapeMark(0x50).Write(b);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x50, 0x00, 0x40, 0x00 }, b);
        Assert.True(AwsChunkHeader.TryParse(b, 0, out var h));
        Assert.True(h.IsTapeMark);
        Assert.False(AwsChunkHeader.TryParse(b.AsSpan(0, 5), 0, out _));
        var e = Assert.Throws<TapeFormatException>(() => AwsChunkHeader.TryParse(new byte[] { 1, 0, 0, 0, 0x40, 0 }, 12, out _));
        Assert.Equal(12, e.Offset);
    }

    [Fact]
    public void Flag_values_are_frozen() =>
        Assert.Equal((0x80, 0x40, 0x20), ((int)AwsFlags.NewRecord, (int)AwsFlags.TapeMark, (int)AwsFlags.EndRecord));

    [Fact]
    public void A_version_3_volume_label_keeps_positions_25_to_37_reserved_and_still_reads()
    {
        var e = Assert.Throws<TapeFormatException>(() => new VolumeLabel { VolumeSerial = "SC0001", LabelStandardVersion = '3' }.Encode());
        Assert.Equal("tape.label.version", e.Code);
        var v3 = new VolumeLabel { VolumeSerial = "OLD001", Owner = "SITE", ImplementationId = "", LabelStandardVersion = '3' };
        string text = Encoding.ASCII.GetString(v3.Encode());
        Assert.Equal(new string(' ', 13), text.Substring(24, 13));
        Assert.Equal('3', text[79]);
        Assert.Equal(v3, VolumeLabel.Parse(v3.Encode()));
    }

    [Fact]
    public void Labels_round_trip_with_fields_at_spec_positions()
    {
        var vol = new VolumeLabel { VolumeSerial = "SC0001", Owner = "SNAPCAT" };
        string v = Encoding.ASCII.GetString(vol.Encode());
        Assert.Equal(80, v.Length);
        Assert.Equal("VOL1SC0001", v[..10]);
        Assert.Equal("SNAPCAT", v.Substring(24, 7));
        Assert.Equal("    SNAPCAT", v.Substring(37, 11));
        Assert.Equal('4', v[79]); // ECMA-13 4th edition: the edition whose VOL1 has an implementation identifier at 25-37
        Assert.Equal(vol, VolumeLabel.Parse(vol.Encode()));

        var h1 = new FileLabel1
        {
            Group = LabelGroup.EndOfFile, FileIdentifier = "SC.0A1B2C3D.DATA", FileSetIdentifier = "SC0001",
            FileSection = 2, FileSequence = 7, CreationDate = new DateOnly(2024, 2, 14), BlockCount = 1_234_567,
        };
        string s = Encoding.ASCII.GetString(h1.Encode());
        Assert.Equal("EOF1SC.0A1B2C3D.DATA SC000100020007000100024045000000 234567SNAPCAT", s.TrimEnd());
        Assert.Equal(h1 with { BlockCount = 234_567 }, FileLabel1.Parse(h1.Encode()));

        var h2 = new FileLabel2 { BlockLength = 61440, ContinuedFromPreviousVolume = true };
        string t = Encoding.ASCII.GetString(h2.Encode());
        Assert.Equal("HDR2U6144000000 1", t[..17]);
        Assert.Equal("00", t.Substring(50, 2));
        Assert.Equal(h2, FileLabel2.Parse(h2.Encode()));
    }

    [Theory]
    [InlineData(2024, 45, "024045")]
    [InlineData(1998, 365, " 98365")]
    [InlineData(2024, 366, "024366")]
    [InlineData(2101, 1, "101001")]
    public void Dates_are_cyyddd(int year, int day, string text)
    {
        var d = new DateOnly(year, 1, 1).AddDays(day - 1);
        Assert.Equal(text, TapeDate.Format(d));
        Assert.Equal(d, TapeDate.Parse(text, "date"));
    }

    [Fact]
    public void Bad_labels_are_rejected_with_reasons()
    {
        var h1 = new FileLabel1 { FileIdentifier = "X", FileSetIdentifier = "A", FileSequence = 1, CreationDate = new DateOnly(2024, 1, 1) }.Encode();
        h1[33] = (byte)'x';
        Assert.Contains("file sequence number", Assert.Throws<TapeFormatException>(() => FileLabel1.Parse(h1)).Message);
        Assert.Throws<TapeFormatException>(() => new VolumeLabel { VolumeSerial = "sc0001" }.Encode());
        Assert.Throws<TapeFormatException>(() => TapeDate.Parse("024400", "d"));
        Assert.Throws<TapeFormatException>(() => VolumeLabel.Parse(new byte[79]));
    }

    [Fact]
    public void Drive_writes_reads_backspaces_and_truncates_like_tape()
    {
        using var dir = new TempDir("tape");
        using var drive = new AwsTapeDrive(dir.Combine("t.aws"));
        drive.Load();
        drive.WriteBlock(new byte[80]);
        drive.WriteBlock(new byte[100]);
        drive.WriteTapeMark();
        drive.WriteBlock(new byte[7]);
        drive.WriteTapeMark();
        drive.WriteTapeMark();
        Assert.Throws<ArgumentOutOfRangeException>(() => drive.WriteBlock([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => drive.WriteBlock(new byte[65536]));
        Assert.True(drive.SeekEndOfData());
        Assert.Equal(6, drive.BlockPosition);
        drive.BackspaceBlock();
        drive.BackspaceBlock();
        drive.BackspaceBlock();
        var buf = new byte[65535];
        Assert.Equal(TapeRead.Block(7), drive.ReadBlock(buf));
        drive.WriteBlock(new byte[9]); // destroys the two tape marks after it
        drive.Rewind();
        Assert.Equal(2, drive.SpaceFilesForward(1));
        Assert.Equal(TapeRead.Block(7), drive.ReadBlock(buf));
        Assert.Equal(TapeRead.Block(9), drive.ReadBlock(buf));
        Assert.Equal(TapeRead.EndOfTape, drive.ReadBlock(buf));
        Assert.Equal(5L * 6 + 80 + 100 + 7 + 9, new FileInfo(dir.Combine("t.aws")).Length);
    }

    [Fact]
    public void Capacity_is_enforced_and_fault_plan_fails_after_n_blocks()
    {
        using var dir = new TempDir("tape");
        using var drive = new FaultInjectingTapeDrive(new AwsTapeDrive(dir.Combine("t.aws"), 2048), new TapeFaultPlan { FailWriteAfterBlocks = 2 });
        drive.Load();
        drive.WriteBlock(new byte[1000]);
        Assert.Equal(2048 - 1006, drive.RemainingBytes);
        var e = Assert.Throws<Snapcat.Core.Errors.SnapcatException>(() => drive.WriteBlock(new byte[1100]));
        Assert.Equal("tape.end_of_medium", e.Code);
        drive.WriteBlock(new byte[10]);
        Assert.Throws<IOException>(() => drive.WriteBlock(new byte[10]));
    }
}

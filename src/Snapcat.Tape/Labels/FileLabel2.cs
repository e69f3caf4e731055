using static Snapcat.Tape.Labels.LabelFields;

namespace Snapcat.Tape.Labels;

/// <summary>
/// HDR2 / EOF2 / EOV2, ANSI file label 2 (specs/tape.md §d). Inside the implementation area (16-50)
/// Snapcat fills only position 17 the way IBM does: '1' when this section continues a file from the
/// previous volume, so readers can tell a continuation volume.
/// <code>
///  pos  len field
///   1    4  "HDR2" / "EOF2" / "EOV2"
///   5    1  record format: U undefined, F fixed (D, S accepted on read)
///   6    5  block length (maximum)
///  11    5  record length (00000 for U)
///  16    1  reserved (space)
///  17    1  file section continued from a previous volume: '0' no, '1' yes
///  18   33  reserved for the implementation (spaces)
///  51    2  buffer offset length (00)
///  53   28  reserved (spaces)
/// </code>
/// </summary>
public sealed record FileLabel2
{
    public LabelGroup Group { get; init; } = LabelGroup.Header;
    public char RecordFormat { get; init; } = 'U';
    public required int BlockLength { get; init; }
    public int RecordLength { get; init; }
    public bool ContinuedFromPreviousVolume { get; init; }

    public byte[] Encode()
    {
        var b = new byte[LabelLength];
        Encode(b);
        return b;
    }

    public void Encode(Span<byte> label)
    {
        if (RecordFormat is not ('U' or 'F'))
            throw new TapeFormatException("tape.label.record_format", $"record format '{RecordFormat}': Snapcat writes U or F");
        if (RecordFormat == 'F' && (RecordLength <= 0 || BlockLength % RecordLength != 0))
            throw new TapeFormatException("tape.label.record_length", $"record format F needs a block length ({BlockLength}) that is a multiple of the record length ({RecordLength})");
        label[..LabelLength].Fill((byte)' ');
        WriteText(label, 1, 4, Group.Prefix() + "2", "label identifier");
        WriteText(label, 5, 1, RecordFormat.ToString(), "record format");
        WriteNumber(label, 6, 5, BlockLength, "block length");
        WriteNumber(label, 11, 5, RecordFormat == 'U' ? 0 : RecordLength, "record length");
        WriteText(label, 17, 1, ContinuedFromPreviousVolume ? "1" : "0", "file section continued");
        WriteNumber(label, 51, 2, 0, "buffer offset length");
    }

    public static FileLabel2 Parse(ReadOnlySpan<byte> label)
    {
        string id = CheckLabel(label);
        if (LabelGroupText.FromPrefix(id) is not { } group || id[3] != '2')
            throw new TapeFormatException("tape.label.not_label2", $"expected HDR2, EOF2 or EOV2, found '{id}'");
        char format = (char)label[4];
        if (format is not ('U' or 'F' or 'D' or 'S' or 'V'))
            throw new TapeFormatException("tape.label.record_format", $"{id} record format '{format}' is not F, D, S, V or U");
        return new FileLabel2
        {
            Group = group,
            RecordFormat = format,
            BlockLength = ReadNumber(label, 6, 5, id, "block length"),
            RecordLength = ReadNumber(label, 11, 5, id, "record length"),
            ContinuedFromPreviousVolume = label[16] == (byte)'1',
        };
    }
}

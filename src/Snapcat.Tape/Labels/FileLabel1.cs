using static Snapcat.Tape.Labels.LabelFields;

namespace Snapcat.Tape.Labels;

/// <summary>
/// HDR1 / EOF1 / EOV1, ANSI file label 1 (specs/tape.md §d).
/// <code>
///  pos  len field
///   1    4  "HDR1" / "EOF1" / "EOV1"
///   5   17  file identifier (data set name)
///  22    6  file-set identifier (serial of the first volume of the set)
///  28    4  file section number (volume sequence within this file: 0001, 0002 …)
///  32    4  file sequence number (position of the file in the file set)
///  36    4  generation number
///  40    2  generation version number
///  42    6  creation date (cyyddd)
///  48    6  expiration date (cyyddd; 000000 = none)
///  54    1  accessibility (space)
///  55    6  block count: 000000 in HDR1; data blocks of this section in EOF1/EOV1 (low 6 digits)
///  61   13  implementation identifier (system code)
///  74    7  reserved
/// </code>
/// </summary>
public sealed record FileLabel1
{
    /// <summary>The block count field keeps the low-order six digits only (as IBM does for more blocks).</summary>
    public const int BlockCountModulus = 1_000_000;

    public LabelGroup Group { get; init; } = LabelGroup.Header;
    public required string FileIdentifier { get; init; }
    public required string FileSetIdentifier { get; init; }
    public int FileSection { get; init; } = 1;
    public required int FileSequence { get; init; }
    public int GenerationNumber { get; init; } = 1;
    public int GenerationVersion { get; init; }
    public required DateOnly CreationDate { get; init; }
    public DateOnly? ExpirationDate { get; init; }
    public char Accessibility { get; init; } = ' ';
    public int BlockCount { get; init; }
    public string ImplementationId { get; init; } = VolumeLabel.DefaultImplementation;

    public byte[] Encode()
    {
        var b = new byte[LabelLength];
        Encode(b);
        return b;
    }

    public void Encode(Span<byte> label)
    {
        if (Group == LabelGroup.Header && BlockCount != 0)
            throw new TapeFormatException("tape.label.block_count", "HDR1 carries block count 0");
        label[..LabelLength].Fill((byte)' ');
        WriteText(label, 1, 4, Group.Prefix() + "1", "label identifier");
        WriteText(label, 5, 17, FileIdentifier, "file identifier");
        WriteText(label, 22, 6, FileSetIdentifier, "file-set identifier");
        WriteNumber(label, 28, 4, FileSection, "file section number");
        WriteNumber(label, 32, 4, FileSequence, "file sequence number");
        WriteNumber(label, 36, 4, GenerationNumber, "generation number");
        WriteNumber(label, 40, 2, GenerationVersion, "generation version");
        WriteText(label, 42, 6, TapeDate.Format(CreationDate), "creation date");
        WriteText(label, 48, 6, TapeDate.Format(ExpirationDate), "expiration date");
        WriteText(label, 54, 1, Accessibility.ToString(), "accessibility");
        WriteNumber(label, 55, 6, BlockCount % BlockCountModulus, "block count");
        WriteText(label, 61, 13, ImplementationId, "implementation identifier");
    }

    public static FileLabel1 Parse(ReadOnlySpan<byte> label)
    {
        string id = CheckLabel(label);
        var group = LabelGroupText.FromPrefix(id);
        if (group is null || id[3] != '1')
            throw new TapeFormatException("tape.label.not_label1", $"expected HDR1, EOF1 or EOV1, found '{id}'");
        string created = ReadText(label, 42, 6).PadRight(6);
        var creation = TapeDate.Parse(created, $"{id} creation date")
            ?? throw new TapeFormatException("tape.label.date", $"{id} has no creation date");
        int section = ReadNumber(label, 28, 4, id, "file section number");
        int sequence = ReadNumber(label, 32, 4, id, "file sequence number");
        if (section == 0 || sequence == 0)
            throw new TapeFormatException("tape.label.number", $"{id} file section and sequence numbers start at 1 (found {section} and {sequence})");
        int blocks = ReadNumber(label, 55, 6, id, "block count");
        if (group == LabelGroup.Header && blocks != 0)
            throw new TapeFormatException("tape.label.block_count", $"HDR1 has block count {blocks}, expected 000000");
        // Generation fields may be blank (IBM non-GDG data sets); they are informational.
        string generation = ReadText(label, 36, 6);
        return new FileLabel1
        {
            Group = group.Value,
            FileIdentifier = ReadText(label, 5, 17),
            FileSetIdentifier = ReadText(label, 22, 6),
            FileSection = section,
            FileSequence = sequence,
            GenerationNumber = generation.Length == 0 ? 0 : ReadNumber(label, 36, 4, id, "generation number"),
            GenerationVersion = generation.Length == 0 ? 0 : ReadNumber(label, 40, 2, id, "generation version"),
            CreationDate = creation,
            ExpirationDate = TapeDate.Parse(ReadText(label, 48, 6).PadRight(6), $"{id} expiration date"),
            Accessibility = (char)label[53],
            BlockCount = blocks,
            ImplementationId = ReadText(label, 61, 13),
        };
    }
}

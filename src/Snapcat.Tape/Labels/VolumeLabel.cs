using static Snapcat.Tape.Labels.LabelFields;

namespace Snapcat.Tape.Labels;

/// <summary>
/// VOL1, the first block of a labelled cartridge (ANSI X3.27-1987 / ECMA-13 4th edition, specs/tape.md §d).
/// Snapcat writes label standard version 4: positions 25-37 hold the implementation identifier only in
/// version 4; version 3 (ECMA-13 3rd edition) reserves them, so a '3' there with SNAPCAT in 25-37 would be
/// a label that breaks its own standard. Version 3 labels are still read (their 25-37 is then blank).
/// <code>
///  pos  len field
///   1    4  "VOL1"
///   5    6  volume identifier (serial)
///  11    1  accessibility (space = unrestricted)
///  12   13  reserved (spaces)
///  25   13  implementation identifier (version 4; reserved in version 3)
///  38   14  owner identifier (Snapcat writes at most 10 characters at 42-51, where IBM SL and
///              hetmap read it; ANSI readers see the same text after 4 blanks)
///  52   28  reserved (spaces)
///  80    1  label standard version ('4' = ECMA-13 4th edition)
/// </code>
/// </summary>
public sealed record VolumeLabel
{
    public const string DefaultImplementation = "SNAPCAT";

    public required string VolumeSerial { get; init; }
    public string Owner { get; init; } = "";
    public string ImplementationId { get; init; } = DefaultImplementation;
    public char Accessibility { get; init; } = ' ';
    /// <summary>ECMA-13 4th edition (1985) = ANSI X3.27-1987, the first edition with an implementation identifier in VOL1.</summary>
    public const char CurrentLabelStandard = '4';

    public char LabelStandardVersion { get; init; } = CurrentLabelStandard;

    /// <summary>A volume serial is 1-6 characters A-Z / 0-9 (specs/tape.md §d).</summary>
    public static void CheckSerial(string serial)
    {
        if (serial.Length is < 1 or > 6 || !serial.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9'))
            throw new TapeFormatException("tape.label.volume_serial", $"volume serial '{serial}' must be 1-6 characters A-Z or 0-9");
    }

    public byte[] Encode()
    {
        var b = new byte[LabelLength];
        Encode(b);
        return b;
    }

    public void Encode(Span<byte> label)
    {
        CheckSerial(VolumeSerial);
        if (LabelStandardVersion != CurrentLabelStandard && ImplementationId.Length > 0)
            throw new TapeFormatException("tape.label.version",
                $"VOL1 label standard version '{LabelStandardVersion}' reserves positions 25-37; only version {CurrentLabelStandard} carries the implementation identifier '{ImplementationId}'");
        label[..LabelLength].Fill((byte)' ');
        WriteText(label, 1, 4, "VOL1", "label identifier");
        WriteText(label, 5, 6, VolumeSerial, "volume serial");
        WriteText(label, 11, 1, Accessibility.ToString(), "accessibility");
        WriteText(label, 25, 13, ImplementationId, "implementation identifier");
        WriteText(label, 42, 10, Owner, "owner");
        WriteText(label, 80, 1, LabelStandardVersion.ToString(), "label standard version");
    }

    public static bool IsVolumeLabel(ReadOnlySpan<byte> block) => block.Length == LabelLength && block.StartsWith("VOL1"u8);

    public static VolumeLabel Parse(ReadOnlySpan<byte> label)
    {
        string id = CheckLabel(label);
        if (id != "VOL1")
            throw new TapeFormatException("tape.label.not_vol1", $"expected a VOL1 label, found '{id}'");
        string serial = ReadText(label, 5, 6);
        CheckSerial(serial);
        return new VolumeLabel
        {
            VolumeSerial = serial,
            Accessibility = (char)label[10],
            ImplementationId = ReadText(label, 25, 13),
            Owner = ReadText(label, 38, 14).TrimStart(' '),
            LabelStandardVersion = (char)label[79],
        };
    }
}

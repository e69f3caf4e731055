namespace Snapcat.Tape.Labels;

/// <summary>Which group a file label belongs to: HDRn before the data, EOFn after the end of a file, EOVn
/// after a section that continues on the next volume.</summary>
public enum LabelGroup
{
    Header,
    EndOfFile,
    EndOfVolume,
}

public static class LabelGroupText
{
    public static string Prefix(this LabelGroup group) => group switch
    {
        LabelGroup.Header => "HDR",
        LabelGroup.EndOfFile => "EOF",
        LabelGroup.EndOfVolume => "EOV",
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    public static LabelGroup? FromPrefix(string id) => id.Length < 3 ? null : id[..3] switch
    {
        "HDR" => LabelGroup.Header,
        "EOF" => LabelGroup.EndOfFile,
        "EOV" => LabelGroup.EndOfVolume,
        _ => null,
    };
}

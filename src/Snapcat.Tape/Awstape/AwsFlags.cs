namespace Snapcat.Tape.Awstape;

/// <summary>AWSTAPE <c>flags1</c> bits (specs/tape.md §a). Numeric values are on disk: never change them.</summary>
[Flags]
public enum AwsFlags : byte
{
    None = 0,
    EndRecord = 0x20,
    TapeMark = 0x40,
    NewRecord = 0x80,

    /// <summary>A whole block in one chunk, the only data chunk Snapcat writes.</summary>
    WholeBlock = NewRecord | EndRecord,
}

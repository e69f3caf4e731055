using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>One file section recorded on a cartridge, as its header and trailer labels describe it.</summary>
public sealed record CartridgeFileInfo(FileLabel1 Header1, FileLabel2 Header2, FileLabel1 Trailer1, long DataBlocks)
{
    public int FileSequence => Header1.FileSequence;
    public string FileIdentifier => Header1.FileIdentifier;
    public string FileSetIdentifier => Header1.FileSetIdentifier;
    public int FileSection => Header1.FileSection;
    public DateOnly CreationDate => Header1.CreationDate;

    /// <summary>True when the section ends with EOV labels: the file continues on another cartridge.</summary>
    public bool ContinuesOnNextVolume => Trailer1.Group == LabelGroup.EndOfVolume;
}

namespace Snapcat.Tape.Cartridge;

/// <summary>Where a file starts: the cartridge holding its first section and its file sequence number
/// (the catalog's media ID for a tape backup is built from these two).</summary>
public sealed record TapeFileLocation(string VolumeSerial, int FileSequence)
{
    public override string ToString() => $"{VolumeSerial}/{FileSequence:0000}";
}

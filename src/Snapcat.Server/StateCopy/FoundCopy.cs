namespace Snapcat.Server.StateCopy;

/// <summary>
/// One state copy a rebuild looked at: where it is (<see cref="Source"/>, e.g. <c>array ARRAY-01 volume 7 slot B</c> or
/// <c>tape TAPE-01 cartridge T00001 file 4</c>), and either its document or why it cannot be used.
/// </summary>
public sealed record FoundCopy(string Source, string Medium, StateDocument? Document, string? Problem)
{
    public bool Valid => Document is not null;
}

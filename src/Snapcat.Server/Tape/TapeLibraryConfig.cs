using Snapcat.Core.Units;

namespace Snapcat.Server.Tape;

/// <summary>
/// The server's virtual tape library (issue 6): a directory of cartridge images (<c>VOLSER.aws</c>), the
/// capacity of each cartridge, how many cartridges it holds (slots) and how many tape operations may run at
/// once (drives). <see cref="LibraryId"/> is the device ID recorded in the catalog rows of tape copies.
/// </summary>
public sealed record TapeLibraryConfig
{
    public required string LibraryId { get; init; }
    public required string Directory { get; init; }

    /// <summary>Bytes or binary units ("2G"); the image size at which a cartridge is full.</summary>
    public string Capacity { get; init; } = "2G";

    public int Slots { get; init; } = 64;
    public int Drives { get; init; } = 1;

    /// <summary>Volume serials of new cartridges are this prefix + a number (SC0001).</summary>
    public string SerialPrefix { get; init; } = "SC";

    public long CapacityBytes => ByteSize.Parse(Capacity);

    /// <summary>Throws <c>tape.config</c> with what is wrong, so the server refuses to start on a bad configuration.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(LibraryId) || LibraryId.Length > 32 || LibraryId.Any(c => c is < '!' or > '~'))
            Throw.Invalid("tape.config", $"tape library ID '{LibraryId}' must be 1-32 printable ASCII characters without spaces");
        if (string.IsNullOrWhiteSpace(Directory))
            Throw.Invalid("tape.config", "the tape library needs a directory for its cartridge files");
        if (!ByteSize.TryParse(Capacity, out long capacity, out string? error))
            Throw.Invalid("tape.config", $"cartridge capacity '{Capacity}': {error}");
        if (capacity < 1 << 20)
            Throw.Invalid("tape.config", $"cartridge capacity {Capacity} is below the 1M minimum (a cartridge must hold labels and a few 60 KiB blocks)");
        if (Slots < 1)
            Throw.Invalid("tape.config", $"a tape library needs at least one slot (slots = {Slots})");
        if (Drives < 1)
            Throw.Invalid("tape.config", $"a tape library needs at least one drive (drives = {Drives})");
        if (SerialPrefix.Length is < 1 or > 3 || !SerialPrefix.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9')))
            Throw.Invalid("tape.config", $"serial prefix '{SerialPrefix}' must be 1-3 characters A-Z 0-9");
    }
}

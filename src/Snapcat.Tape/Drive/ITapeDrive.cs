namespace Snapcat.Tape.Drive;

/// <summary>
/// A sequential tape drive with one cartridge, in the terms a real drive offers (Linux <c>st</c> ioctls:
/// MTREW, MTWEOF, MTFSF, MTBSR, MTEOM, MTTELL), so a <c>/dev/nst*</c> drive can implement it later.
/// Writes are destructive: writing at a position discards everything recorded after it.
/// Methods throw <see cref="TapeFormatException"/> for a malformed medium and
/// <see cref="Snapcat.Core.Errors.SnapcatException"/> (Conflict, <c>tape.end_of_medium</c>) at the physical end.
/// </summary>
public interface ITapeDrive : IDisposable
{
    /// <summary>Where the cartridge lives (an image path or a device node), for messages.</summary>
    string Name { get; }

    bool IsLoaded { get; }

    /// <summary>Loads the cartridge and positions at the load point.</summary>
    void Load();

    /// <summary>Makes everything written durable and releases the cartridge.</summary>
    void Unload();

    void Rewind();

    /// <summary>Writes one block of 1..65,535 bytes at the current position.</summary>
    void WriteBlock(ReadOnlySpan<byte> block);

    /// <summary>Writes a tape mark; also a durability point (everything before it is on stable storage on return).</summary>
    void WriteTapeMark();

    /// <summary>Reads the next block into <paramref name="buffer"/>, or reports a tape mark or the end of the recorded medium.</summary>
    TapeRead ReadBlock(Span<byte> buffer);

    /// <summary>Moves forward past <paramref name="count"/> tape marks; returns how many data blocks were passed.</summary>
    long SpaceFilesForward(int count);

    /// <summary>Moves back over one block or tape mark (MTBSR).</summary>
    void BackspaceBlock();

    /// <summary>Positions after the double tape mark that ends the recorded data, or at the physical end
    /// of the recording when there is none. Returns whether a double tape mark was found.</summary>
    bool SeekEndOfData();

    /// <summary>Blocks and tape marks from the load point to the current position.</summary>
    long BlockPosition { get; }

    /// <summary>Configured capacity in bytes, or null when the drive reports only early warning.</summary>
    long? CapacityBytes { get; }

    /// <summary>Bytes that can still be recorded after the current position (framing included), or null if unknown.</summary>
    long? RemainingBytes { get; }
}

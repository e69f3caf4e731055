namespace Snapcat.Tape;

public enum TapeReadKind
{
    /// <summary>A data block of <see cref="TapeRead.Length"/> bytes.</summary>
    Block,
    TapeMark,
    /// <summary>No more recorded chunks: the physical end of the image (uninitialised tape beyond).</summary>
    EndOfTape,
}

/// <summary>The outcome of reading one block from a drive: a block, a tape mark, or the end of the medium.</summary>
public readonly record struct TapeRead(TapeReadKind Kind, int Length)
{
    public static TapeRead TapeMark => new(TapeReadKind.TapeMark, 0);
    public static TapeRead EndOfTape => new(TapeReadKind.EndOfTape, 0);
    public static TapeRead Block(int length) => new(TapeReadKind.Block, length);

    public bool IsBlock => Kind == TapeReadKind.Block;
    public bool IsTapeMark => Kind == TapeReadKind.TapeMark;
}

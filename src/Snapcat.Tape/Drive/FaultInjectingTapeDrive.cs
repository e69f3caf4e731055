namespace Snapcat.Tape.Drive;

/// <summary>
/// Wraps a drive and fails chosen operations with an <see cref="IOException"/>, as a dying drive or a full
/// disk under the image would, so tests can check what a half-written cartridge looks like afterwards.
/// </summary>
public sealed class FaultInjectingTapeDrive(ITapeDrive inner, TapeFaultPlan plan) : ITapeDrive
{
    private int _blocksWritten, _blocksRead;

    public ITapeDrive Inner => inner;
    public string Name => inner.Name;
    public bool IsLoaded => inner.IsLoaded;
    public long BlockPosition => inner.BlockPosition;
    public long? CapacityBytes => inner.CapacityBytes;
    public long? RemainingBytes => inner.RemainingBytes;

    public void Load() => inner.Load();
    public void Unload() => inner.Unload();
    public void Rewind() => inner.Rewind();
    public void Dispose() => inner.Dispose();

    public void WriteBlock(ReadOnlySpan<byte> block)
    {
        if (plan.FailWriteAfterBlocks is { } n && _blocksWritten >= n)
            throw new IOException($"injected fault: write of block {_blocksWritten + 1} on {Name}");
        inner.WriteBlock(block);
        _blocksWritten++;
    }

    public void WriteTapeMark()
    {
        if (plan.FailTapeMarks)
            throw new IOException($"injected fault: tape mark on {Name}");
        inner.WriteTapeMark();
    }

    public TapeRead ReadBlock(Span<byte> buffer)
    {
        if (plan.FailReadAfterBlocks is { } n && _blocksRead >= n)
            throw new IOException($"injected fault: read of block {_blocksRead + 1} on {Name}");
        var r = inner.ReadBlock(buffer);
        if (r.IsBlock)
            _blocksRead++;
        return r;
    }

    public long SpaceFilesForward(int count) => inner.SpaceFilesForward(count);
    public void BackspaceBlock() => inner.BackspaceBlock();
    public bool SeekEndOfData() => inner.SeekEndOfData();
}

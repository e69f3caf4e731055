namespace Snapcat.Tape.Drive;

/// <summary>What a <see cref="FaultInjectingTapeDrive"/> breaks; one plan per test, no global state.</summary>
public sealed record TapeFaultPlan
{
    /// <summary>Fail the write of data block number N+1 (counted from the plan's start), after N succeeded.</summary>
    public int? FailWriteAfterBlocks { get; init; }

    /// <summary>Fail the read of block number N+1, after N blocks were read.</summary>
    public int? FailReadAfterBlocks { get; init; }

    /// <summary>Fail every tape mark write (the fsync point).</summary>
    public bool FailTapeMarks { get; init; }
}

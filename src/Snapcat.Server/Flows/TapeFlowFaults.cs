namespace Snapcat.Server.Flows;

/// <summary>
/// Fault injection for the tape flows, given per handler (never global): <see cref="BeforeVerify"/> runs after
/// the tape copy is written and before it is read back, so a test can damage the cartridge there;
/// <see cref="BeforeTapeWrite"/> runs in a tape backup after the temporary snapshot is taken and before the stream
/// starts (argument: the snapshot's volume number), so a test can fail the tape write there.
/// </summary>
public sealed record TapeFlowFaults
{
    public Func<BackupDataRow, CancellationToken, Task>? BeforeVerify { get; init; }
    public Func<uint, CancellationToken, Task>? BeforeTapeWrite { get; init; }
}

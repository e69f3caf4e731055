using Snapcat.Server.Catalog;

namespace Snapcat.Server.Flows;

/// <summary>
/// Fault injection for the tape flows, given per handler (never global): <see cref="BeforeVerify"/> runs after
/// the tape copy is written and before it is read back, so a test can damage the cartridge there.
/// </summary>
public sealed record TapeFlowFaults
{
    public Func<BackupDataRow, CancellationToken, Task>? BeforeVerify { get; init; }
}
